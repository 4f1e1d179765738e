"""The request's unit of work (amanat.web.uow.Uow) commits once, after the handler and
before the response: a commit that fails is an error response, never a 200 for a change
that did not persist; a handler that raises commits nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from amanat.db.uow import UnitOfWork
from amanat.web.errors import install_error_handlers
from amanat.web.uow import Uow

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("text", String))


class _Runtime:
    """The one part of the runtime the dependency uses: ``uow()``."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.factory)


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'uow.db'}")
    metadata.create_all(engine)
    yield sessionmaker(engine)
    engine.dispose()


def _app(factory: sessionmaker[Session]) -> FastAPI:
    app = FastAPI()
    app.state.runtime = _Runtime(factory)
    install_error_handlers(app)

    @app.post("/api/notes/{text}")
    def add(text: str, uow: Uow) -> dict[str, str]:
        uow.session.execute(notes.insert().values(text=text))
        if text == "refuse":
            raise ValueError("refused after writing")
        return {"saved": text}

    return app


def _texts(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(notes.c.text)))


def test_the_change_is_committed_before_the_response(factory: sessionmaker[Session]) -> None:
    with TestClient(_app(factory)) as client:
        response = client.post("/api/notes/kept")
    assert response.status_code == 200
    assert _texts(factory) == ["kept"]


def test_a_failed_commit_is_an_error_response_not_a_200(
    factory: sessionmaker[Session],
) -> None:
    def refuse_commit(session: Session) -> None:
        raise RuntimeError("the database refused the commit")

    event.listen(Session, "before_commit", refuse_commit)
    try:
        with TestClient(_app(factory), raise_server_exceptions=False) as client:
            response = client.post("/api/notes/lost")
    finally:
        event.remove(Session, "before_commit", refuse_commit)
    assert response.status_code == 500
    assert _texts(factory) == []


def test_a_handler_that_raises_commits_nothing(factory: sessionmaker[Session]) -> None:
    with TestClient(_app(factory), raise_server_exceptions=False) as client:
        response = client.post("/api/notes/refuse")
    assert response.status_code == 500
    assert _texts(factory) == []
