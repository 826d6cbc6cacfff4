"""The stance matrix: leaders × topics, each cell the leader's current stance on the topic.

Rows are the leaders with at least one stance, in the order the articles
(newest first) first mention them (Index.order), so the principals of the
story lead. Columns are the topics that have at least one stance, in the
briefing's display order; the topics left out are named in `without` so the
page can say so.
"""

from __future__ import annotations

from .views import Index, leader_ref, stance_view, topic_ref


def stance_matrix(ix: Index) -> dict:
    leaders = [leader for leader in ix.ordered_leaders() if ix.current_by_leader.get(leader.id)]
    topic_ids = {topic for _, topic in ix.current}
    topics = [topic for topic in ix.briefing.topics if topic.id in topic_ids]
    rows = []
    for leader in leaders:
        cells = []
        for topic in topics:
            stance = ix.current.get((leader.id, topic.id))
            cells.append({"topic": topic_ref(topic), "stance": stance_view(stance, ix) if stance else None})
        row = leader_ref(leader)
        row.update({"role": leader.role, "cells": cells})
        rows.append(row)
    return {
        "topics": [topic_ref(topic) for topic in topics],
        "rows": rows,
        "without": [topic_ref(topic) for topic in ix.briefing.topics if topic.id not in topic_ids],
        "changed": sum(1 for stance in ix.current.values() if stance.changed_from),
    }
