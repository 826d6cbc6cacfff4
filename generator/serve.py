"""`briefing serve`: not yet."""


def add_arguments(parser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)


def run(args, project) -> int:
    print("briefing serve: not yet implemented")
    return 2
