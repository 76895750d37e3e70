from seqlab.wording import plural


def test_plural() -> None:
    assert plural(1, "epoch") == "1 epoch"
    assert plural(0, "line") == "0 lines"
    assert plural(2, "line") == "2 lines"
    assert plural(12000, "token") == "12,000 tokens"
    assert plural(1, "child", "children") == "1 child"
    assert plural(3, "child", "children") == "3 children"
