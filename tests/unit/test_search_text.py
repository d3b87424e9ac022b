"""Search text and ranking: normalisation, grams, Chinese ranking and snippets."""

from __future__ import annotations

import sqlite3

from kefu.search.index import SearchIndex
from kefu.search.ranking import Evidence, score, snippet
from kefu.search.text import MAX_TOKEN_CHARS, grams, held_grams, index_grams, normalize, tokens


def doc(doc_id: str, title: str, body: str) -> tuple[str, str, str]:
    return doc_id, normalize(title), normalize(body)


def rank(query: str, *docs: tuple[str, str, str]) -> list[str]:
    """Ranks as the index does its candidates: the evidence from their normalised texts."""
    q = normalize(query)
    wanted = list(dict.fromkeys(grams(q)))

    def evidence(d: tuple[str, str, str]) -> Evidence:
        doc_id, title, body = d
        share = lambda text: len(held_grams(text, wanted)) / len(wanted)  # noqa: E731
        return Evidence(doc_id, share(title), share(body), q in title, q in body)

    ranked = sorted((evidence(d) for d in docs), key=lambda e: (-score(e), e.doc_id))
    return [e.doc_id for e in ranked if score(e) > 0]


def test_normalisation_folds_traditional_full_width_and_case() -> None:
    full_width_usb = "\uff35\uff33\uff22"
    assert normalize(f"路由器無法連線 {full_width_usb}") == "路由器无法连线 usb"


def test_chinese_is_indexed_by_bigrams_and_words_by_trigrams() -> None:
    assert grams("退款到账") == ["退款", "款到", "到账"]
    assert grams("usb") == ["=usb", " us", "usb", "sb "]
    assert grams("退") == ["退"]
    assert "退" in index_grams("退款")


def test_a_title_match_ranks_above_a_body_match_and_the_phrase_above_scattered_grams() -> None:
    title = doc("a", "退款多久到账", "原路退回")
    body = doc("b", "售后说明", "退款多久到账要看银行")
    scattered = doc("c", "到账时间", "多久退款看银行处理")
    unrelated = doc("d", "打印机卡纸", "打开后盖")
    assert rank("退款多久到账", unrelated, scattered, body, title) == ["a", "b", "c"]


def test_a_typo_still_matches_but_below_the_exact_text() -> None:
    exact = doc("a", "路由器无法连接", "")
    other = doc("b", "手机无法开机", "")
    assert rank("路游器无法连接", other, exact) == ["a", "b"]


def test_the_snippet_is_cut_around_the_match_in_the_original_script() -> None:
    body = "前言" * 60 + "請檢查網線是否插好" + "结尾" * 60
    cut = snippet(normalize("检查网线"), set(grams("检查网线")), body, normalize(body))
    assert "請檢查網線是否插好" in cut
    assert cut.startswith("…") and cut.endswith("…")
    assert len(cut) <= 82


TEXTS = [
    "上月发票金额多收 USB-C 充电器 café №5 の e-mail a b",
    "退款 到账 usb 3.0 hub x",
    "发",
    "",
]


def test_a_text_holds_a_gram_exactly_when_its_index_grams_do() -> None:
    queries = ["发票金额", "发", "usb", "usb-c充电", "sb", "a b", "mail", "3", "金额 hub", "cafe"]
    for text in map(normalize, TEXTS):
        for query in queries:
            wanted = list(dict.fromkeys(grams(normalize(query))))
            assert held_grams(text, wanted) == set(wanted) & set(index_grams(text)), (text, query)


def test_each_distinct_gram_is_one_token_of_word_characters_equals_and_underscores() -> None:
    assert tokens("usb 退款 usb") == ["=usb", "_us", "usb", "sb_", "退款", "退", "款"]
    assert tokens("a") == ["=a", "_a_"]
    long_word = "x" * (MAX_TOKEN_CHARS + 50)
    assert max(map(len, tokens(long_word))) == MAX_TOKEN_CHARS


def test_the_fts5_tokenizer_reads_every_token_back_as_it_was_written() -> None:
    """The index's own FTS5 table: one gram is one term, Han, Latin, accents, `=` and `_`."""
    written = tokens(normalize(" ".join(TEXTS)))
    db = sqlite3.connect(":memory:")
    for statement in SearchIndex("t", "owner").create_statements(postgres=False):
        db.execute(statement)
    db.execute(
        "INSERT INTO t_search_fts (rowid, title, body) VALUES (1, ?, '')", [" ".join(written)]
    )
    db.execute("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, t_search_fts, 'row')")
    assert sorted(term for (term,) in db.execute("SELECT term FROM temp.terms")) == sorted(written)
