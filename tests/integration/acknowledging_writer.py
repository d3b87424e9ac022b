"""A process that opens tickets from many threads and prints each acknowledgement.

    python -m tests.integration.acknowledging_writer DATABASE_URL THREADS

Each line `ack KEY ID POSITION` is printed (and flushed) only after the command returned,
i.e. after its batch committed. The kill test SIGKILLs this process mid-stream and checks
that every printed acknowledgement is in the store.
"""

from __future__ import annotations

import sys
import threading
from itertools import count
from uuid import uuid4

from kefu.bootstrap import build_services
from kefu.commands.context import Context
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from kefu.settings import Settings


def main() -> None:
    url, threads = sys.argv[1], int(sys.argv[2])
    services = build_services(Settings(database_url=url))
    printing = threading.Lock()
    command = OpenTicket(channel=Channel.PHONE, category="billing", subject="kill me")

    def write(thread: int) -> None:
        for n in count():
            key = f"t{thread}-{n}"
            ctx = Context("writer", "service", uuid4(), uuid4(), idempotency_key=key)
            answer = services.tickets.open(command, ctx).answer
            with printing:
                print(f"ack {key} {answer.id} {answer.position}", flush=True)

    for thread in range(threads):
        threading.Thread(target=write, args=(thread,), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
