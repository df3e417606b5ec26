"""The model registry: bundles move into PROJECT/models/<id>/ together with their row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from ethoforge.errors import InputError, NotFoundError
from ethoforge.store import Project, registry


@pytest.fixture()
def project(tmp_path: Path):
    with Project.create(tmp_path / "proj") as opened:
        opened.create_dataset("mice", ["interact"])
        opened.create_dataset("rats", ["groom", "rear"])
        yield opened


def _bundle(folder: Path, tag: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "bundle.json").write_text(json.dumps({"tag": tag}))
    (folder / "checkpoints").mkdir()
    (folder / "checkpoints" / "best.pt").write_bytes(b"\0" * 100)
    return folder


def test_register_moves_the_bundle_and_adds_a_row(project: Project, tmp_path: Path):
    source = _bundle(tmp_path / "work" / "bundle", "a")
    model = registry.register_model(project, "mice", source, "conv_bilstm", {"val": {"macro_f1": 0.7}},
                                    {"epochs": 2})
    assert not source.exists()
    folder = project.root / model.path
    assert folder == project.root / "models" / str(model.id)
    assert json.loads((folder / "bundle.json").read_text()) == {"tag": "a"}
    assert (folder / "checkpoints" / "best.pt").stat().st_size == 100
    assert model.dataset == "mice" and model.family == "conv_bilstm" and not model.active
    assert model.name == f"mice-conv_bilstm-{model.id}"
    assert registry.get_model(project, model.id) == model
    assert registry.get_model(project, model.name) == model
    assert registry.model_bundle_path(project, model.id) == folder
    assert model.metrics == {"val": {"macro_f1": 0.7}} and model.config == {"epochs": 2}
    assert model.to_dict()["created_at"]


def test_a_failed_registration_leaves_the_bundle_where_it_was(project: Project, tmp_path: Path):
    first = registry.register_model(project, "mice", _bundle(tmp_path / "b1", "a"), "gbdt", name="same")
    source = _bundle(tmp_path / "b2", "b")
    with pytest.raises(IntegrityError):  # the name is unique: the transaction fails after the move
        registry.register_model(project, "mice", source, "gbdt", name="same")
    assert (source / "bundle.json").is_file()
    assert [m.id for m in registry.list_models(project)] == [first.id]
    assert sorted(p.name for p in (project.root / "models").iterdir()) == [str(first.id)]


def test_register_rejects_a_missing_folder_and_an_unknown_dataset(project: Project, tmp_path: Path):
    with pytest.raises(InputError, match="not a model bundle folder"):
        registry.register_model(project, "mice", tmp_path / "nothing", "gbdt")
    source = _bundle(tmp_path / "b", "a")
    with pytest.raises(NotFoundError, match="no dataset 'cats'.*mice, rats"):
        registry.register_model(project, "cats", source, "gbdt")
    assert source.is_dir()


def test_one_active_model_per_dataset(project: Project, tmp_path: Path):
    m1 = registry.register_model(project, "mice", _bundle(tmp_path / "1", "1"), "gbdt")
    m2 = registry.register_model(project, "mice", _bundle(tmp_path / "2", "2"), "gbdt")
    r1 = registry.register_model(project, "rats", _bundle(tmp_path / "3", "3"), "gbdt")
    registry.activate_model(project, r1.id)
    registry.activate_model(project, m1.id)
    assert sorted(m.id for m in registry.list_models(project, active=True)) == [m1.id, r1.id]
    registry.activate_model(project, m2.id)
    assert [m.id for m in registry.list_models(project, dataset="mice", active=True)] == [m2.id]
    assert getattr(registry.active_model(project, "mice"), "id", None) == m2.id
    assert getattr(registry.active_model(project, "rats"), "id", None) == r1.id
    assert [m.id for m in registry.list_models(project, dataset="mice")] == [m2.id, m1.id]  # newest first
    assert [m.id for m in registry.list_models(project, dataset="mice", active=False)] == [m1.id]


def test_delete_removes_row_and_files(project: Project, tmp_path: Path):
    m1 = registry.register_model(project, "mice", _bundle(tmp_path / "1", "1"), "gbdt")
    m2 = registry.register_model(project, "mice", _bundle(tmp_path / "2", "2"), "gbdt")
    registry.delete_model(project, m1.id)
    assert [m.id for m in registry.list_models(project)] == [m2.id]
    assert sorted(p.name for p in (project.root / "models").iterdir()) == [str(m2.id)]
    with pytest.raises(NotFoundError, match=f"no model {m1.id}"):
        registry.get_model(project, m1.id)
    with pytest.raises(NotFoundError):
        registry.delete_model(project, m1.id)


def test_an_orphan_folder_from_a_crash_does_not_block_registration(project: Project, tmp_path: Path):
    orphan = project.root / "models" / "1"  # as left by a crash between rename and commit
    orphan.mkdir(parents=True)
    (orphan / "junk").write_text("x")
    model = registry.register_model(project, None, _bundle(tmp_path / "b", "b"), "gbdt")
    assert model.id == 1 and model.dataset is None and model.name == "model-gbdt-1"
    assert sorted(p.name for p in (project.root / model.path).iterdir()) == ["bundle.json", "checkpoints"]


def test_registry_survives_reopening(project: Project, tmp_path: Path):
    model = registry.register_model(project, "rats", _bundle(tmp_path / "b", "b"), "transformer")
    registry.activate_model(project, model.id)
    with Project.open(project.root) as again:
        [stored] = registry.list_models(again)
        assert stored == registry.get_model(project, model.id) and stored.active


def test_models_have_a_kind_to_filter_and_activate_by(project: Project, tmp_path: Path):
    from ethoforge.errors import ConfigError

    classifier = registry.register_model(project, "mice", _bundle(tmp_path / "c", "c"), "gbdt")
    embedder = registry.register_model(project, "mice", _bundle(tmp_path / "e", "e"), "transformer", kind="embedder")
    assert classifier.kind == "classifier" and embedder.kind == "embedder"
    assert embedder.name == f"mice-embedder-{embedder.id}" and embedder.to_dict()["kind"] == "embedder"
    assert [m.id for m in registry.list_models(project, kind="embedder")] == [embedder.id]
    assert [m.id for m in registry.list_models(project, kind="classifier")] == [classifier.id]
    registry.activate_model(project, classifier.id)
    registry.activate_model(project, embedder.id)  # one active per dataset *and* kind
    assert registry.get_model(project, classifier.id).active and registry.get_model(project, embedder.id).active
    assert registry.active_model(project, "mice").id == classifier.id
    assert registry.active_model(project, "mice", kind="embedder").id == embedder.id
    with pytest.raises(ConfigError, match="unknown model kind 'ranker'"):
        registry.list_models(project, kind="ranker")
    with pytest.raises(ConfigError, match="unknown model kind"):
        registry.register_model(project, "mice", _bundle(tmp_path / "x", "x"), "gbdt", kind="ranker")
    assert (tmp_path / "x").exists()
