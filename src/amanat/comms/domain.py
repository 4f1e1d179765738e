"""The comms domain: the outbox of mail to customers, and its delivery over SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from amanat.comms import cli, dev_cli, models
from amanat.registration import Domain, Finding, InitReport, Job

if TYPE_CHECKING:
    from fastapi import APIRouter

    from amanat.runtime import Runtime


def _routers() -> tuple[APIRouter, ...]:
    from amanat.comms import pages

    return (pages.router,)


# Wrappers import on first use, so that `amanat --help` does not load SMTP and DKIM.
def _deliver(runtime: Runtime) -> int:
    from amanat.comms.delivery import deliver_due

    return deliver_due(runtime).handled


def _init_dkim(runtime: Runtime, report: InitReport) -> None:
    from amanat.comms.dkim import init_dkim_key

    init_dkim_key(runtime, report)


def _mail_findings(runtime: Runtime) -> Iterator[Finding]:
    from amanat.comms.smtp import doctor_findings

    return doctor_findings(runtime)


DELIVERY = Job(
    name="mail delivery",
    run=_deliver,
    idle_seconds=lambda runtime: runtime.settings.mail.poll_seconds,
    wanted=lambda runtime: runtime.settings.smtp_url is not None,
)

DOMAIN = Domain(
    name="comms",
    routers=_routers,
    cli=(("outbox", cli.app), ("dev", dev_cli.app)),
    models=models,
    init_steps=(_init_dkim,),
    jobs=(DELIVERY,),
    doctor_checks=(("mail", _mail_findings),),
)
