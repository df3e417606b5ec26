"""``/recordings/{id}/labels``: list bouts with a version (ETag); commit a set of bouts against it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Response
from fastapi.responses import JSONResponse

from ethoforge.labels import Bout
from ethoforge.server.deps import ServerState, Settings
from ethoforge.server.schemas import Behavior, Id, LabelsCommit

router = APIRouter(tags=["labels"])
_COMMIT_RESPONSES: dict[int | str, dict] = {
    409: {"description": "the labels changed since the version given"},
    428: {"description": "no version given (If-Match header or 'version' field)"},
}


def _etag(version: str) -> str:
    return f'"{version}"'


def _unquote(value: str) -> str:
    value = value.strip()
    value = value.removeprefix("W/")
    return value.strip('"')


@router.get("/recordings/{recording_id}/labels", summary="Bouts of a recording and the labels version",
            response_class=JSONResponse)
def get_labels(
    settings: Settings, recording_id: Id,
    behavior: Annotated[list[Behavior] | None, Query(max_length=20, description="only these behaviors")] = None,
) -> Response:
    rec_id, version, bouts = settings.project.labels_json(recording_id, behavior)
    body = f'{{"recording_id":{rec_id},"version":"{version}","bouts":{bouts}}}'  # the database wrote the bouts' JSON
    return Response(body, media_type="application/json", headers={"ETag": _etag(version)})


def _commit(recording_id: Id, body: LabelsCommit, if_match: str | None, response: Response,
            settings: ServerState) -> dict:
    expected = _unquote(if_match) if if_match else body.version
    if not expected:
        raise HTTPException(428, "send the labels version you read, as an If-Match header or the 'version' "
                                 "field ('*' overwrites whatever is stored)")
    kept: list[Bout] = []
    dropped = 0
    for bout in body.bouts:
        if bout.source == "predicted" and not bout.modified:
            dropped += 1  # an unconfirmed prediction is not a label
            continue
        source = "manual" if bout.source == "predicted" or (bout.modified and bout.source == "confirmed") else bout.source
        kept.append(Bout("", bout.behavior, bout.start, bout.stop, agent=bout.agent, target=bout.target,
                         source=source, annotator=bout.annotator, score=bout.score))  # type: ignore[arg-type]
    rejected = [Bout("", b.behavior, b.start, b.stop, agent=b.agent, source="predicted")
                for b in body.rejected_predictions]
    result = settings.project.commit_labels(recording_id, kept, expected_version=expected, annotator=body.annotator,
                                            mark_annotated=body.mark_annotated, rejected=rejected)
    response.headers["ETag"] = _etag(result.version)
    return {"recording_id": recording_id, "version": result.version, "stored": result.stored,
            "dropped": dropped, "superseded_predictions": result.superseded}


@router.put("/recordings/{recording_id}/labels", summary="Replace the human bouts (needs the version read)",
            responses=_COMMIT_RESPONSES)
def put_labels(settings: Settings, recording_id: Id, body: LabelsCommit, response: Response,
               if_match: str | None = Header(None, max_length=128)) -> dict:
    return _commit(recording_id, body, if_match, response, settings)


@router.post("/recordings/{recording_id}/labels", summary="Same as PUT (for clients that cannot PUT)",
             responses=_COMMIT_RESPONSES)
def post_labels(settings: Settings, recording_id: Id, body: LabelsCommit, response: Response,
                if_match: str | None = Header(None, max_length=128)) -> dict:
    return _commit(recording_id, body, if_match, response, settings)
