"""Search benchmark: the gram index against a plain scan of the same articles.

    python -m bench.search [--articles N] [--database-url URL] [--repeats R]

Feeds N published articles of generated Chinese text (random characters from 3 000 Han code
points, each query phrase planted in 1% of them) through the article projection, then times
queries (medians) through the index (fuzzy and exact) and through a baseline measured in the
same run: a `LIKE '%phrase%'` scan over the same normalised text, which finds only exact
phrases and ranks nothing. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import Tracking

from bench.timing import han_text, median_ms, progress
from kefu.domain.article import Article
from kefu.domain.article_values import ArticleContent, Visibility
from kefu.domain.metadata import EventMetadata
from kefu.projections.article_projection import ArticleSearch, Audience
from kefu.projections.batch import Positioned
from kefu.projections.read_models import ReadModels
from kefu.search.text import normalize

QUERIES = ["路由器无法连接", "宽带退款", "打印机维修", "账号密码登录"]


def text(rng: random.Random, length: int) -> str:
    return han_text(rng, length, QUERIES, 0.01 * len(QUERIES))


def load(models: ReadModels, count: int) -> None:
    """Feeds the article projection drafted-and-approved events directly, 500 per batch."""
    rng = random.Random(2030)
    meta = EventMetadata("bench", "service", uuid4(), uuid4(), None, "bench")
    projection = models.projection("article_views")
    at = datetime(2030, 1, 1, tzinfo=UTC)
    batch: list[Positioned] = []
    bar = progress(count, "article")
    for n in range(count):
        content = ArticleContent(text(rng, 12), text(rng, 400), "产品", (), "zh-CN",
                                 Visibility.PUBLIC)  # fmt: skip
        article = Article.draft(content=content, author_id="a", meta=meta, at=at)
        article.submit(reviewers=("r",), note="", meta=meta, at=at)
        article.approve(reviewer_id="r", note="", meta=meta, at=at)
        for event in article.collect_events():
            batch.append(Positioned(event, len(batch) + 1 + n * 3))
        if len(batch) >= 1500 or n == count - 1:
            last = batch[-1].position
            projection.process_batch(batch, Tracking("kefu", last))
            batch = []
            bar.update(n + 1 - bar.n)
    bar.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp)}/bench.sqlite3"
        models = ReadModels(url)
        store = models.articles
        started = time.perf_counter()
        load(models, args.articles)
        seconds = time.perf_counter() - started
        print(f"indexed {args.articles} articles in {seconds:.1f} s "
              f"({args.articles / seconds:.0f} articles/s)")  # fmt: skip
        public = Audience(public=True)
        for query in QUERIES:
            fuzzy = median_ms(lambda q=query: store.search(ArticleSearch(q, public)), args.repeats)
            exact = median_ms(
                lambda q=query: store.search(ArticleSearch(q, public, exact=True)), args.repeats
            )
            pattern = {"p": f"%{normalize(query)}%"}
            scan = median_ms(
                lambda p=pattern: store.query(
                    "SELECT doc_id FROM article_search_texts WHERE body_norm LIKE :p "
                    "OR title_norm LIKE :p",
                    p,
                ),
                args.repeats,
            )
            print(f"{query}: fuzzy {fuzzy:.1f} ms, exact {exact:.1f} ms, "
                  f"LIKE scan {scan:.1f} ms (fuzzy/scan {fuzzy / scan:.2f})")  # fmt: skip
        models.close()


if __name__ == "__main__":
    main()
