def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/site from a fresh build of the bundled briefing")


def pytest_configure(config):
    import os

    # Builds show SOURCE_DATE_EPOCH as their "generated at" time; a CI that sets it must not change
    # what the tests expect (the tests that need it set it themselves).
    os.environ.pop("SOURCE_DATE_EPOCH", None)
