"""With --auth a digest is no key: a user reads a blob by its digest, or names it in a
manifest, only if they uploaded its bytes or may read a run or model version holding it.
To anyone else the blob answers as a missing one; uploading the same bytes (all of them)
proves possession. Admins read every blob; without auth nothing changes."""

from __future__ import annotations

import hashlib
import os

import httpx

from auth_fixtures import unique

BLOBS = "/api/v1/blobs"


def _put(auth_server, user, data):
    digest = hashlib.sha256(data).hexdigest()
    with auth_server.http(user) as http:
        response = http.put(f"{BLOBS}/{digest}", content=data)
    return digest, response


def _uploaded_by(auth_server, user):
    """Fresh bytes ``user`` uploaded, and their digest."""
    data = os.urandom(64)
    digest, response = _put(auth_server, user, data)
    assert response.status_code == 201, response.text
    return digest, data


def _head(auth_server, user, digest):
    with auth_server.http(user) as http:
        return http.head(f"{BLOBS}/{digest}")


def _get(auth_server, user, digest):
    with auth_server.http(user) as http:
        return http.get(f"{BLOBS}/{digest}")


def _missing_digest():
    return hashlib.sha256(os.urandom(16)).hexdigest()


def test_another_user_cannot_head_or_get_a_blob_by_its_digest(auth_server):
    digest, data = _uploaded_by(auth_server, "editor")

    assert _head(auth_server, "editor", digest).status_code == 200
    assert _get(auth_server, "editor", digest).content == data
    assert _head(auth_server, "stranger", digest).status_code == 404
    assert _get(auth_server, "stranger", digest).status_code == 404


def test_a_refused_blob_answers_exactly_as_a_missing_one(auth_server):
    digest, _ = _uploaded_by(auth_server, "editor")
    missing = _missing_digest()

    refused_head, missing_head = (_head(auth_server, "stranger", d) for d in (digest, missing))
    refused_get, missing_get = (_get(auth_server, "stranger", d) for d in (digest, missing))

    assert (refused_head.status_code, refused_head.content) == (404, b"")
    assert (missing_head.status_code, missing_head.content) == (404, b"")
    assert refused_head.headers.keys() == missing_head.headers.keys()
    assert refused_get.status_code == missing_get.status_code == 404
    assert refused_get.json() == {
        k: v.replace(missing, digest) if isinstance(v, str) else v
        for k, v in missing_get.json().items()
    }


def test_another_user_cannot_name_the_blob_in_a_manifest_of_their_own_run(auth_server):
    digest, data = _uploaded_by(auth_server, "editor")
    client = auth_server.client("stranger")
    run_id = client.create_run(client.create_experiment(unique("e"))).info.run_id
    missing = _missing_digest()

    with auth_server.http("stranger") as http:
        refused, never = (
            http.post(
                f"/api/v1/runs/{run_id}/artifacts",
                json={"entries": {"f": {"digest": d, "size": len(data)}}},
            )
            for d in (digest, missing)
        )

    assert refused.status_code == never.status_code == 400
    assert refused.json()["message"] == never.json()["message"].replace(missing, digest)
    assert client.list_artifacts(run_id) == []


def test_uploading_the_same_bytes_gives_access_without_rewriting_the_blob(auth_server):
    digest, data = _uploaded_by(auth_server, "editor")
    blob_file = auth_server.backend.blobs.path(digest)
    before = os.stat(blob_file)

    _, response = _put(auth_server, "stranger", data)

    assert response.status_code == 201 and response.json()["stored"] is True
    assert _get(auth_server, "stranger", digest).content == data
    after = os.stat(blob_file)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_put_with_other_bytes_under_the_digest_is_refused_and_gives_nothing(auth_server):
    digest, data = _uploaded_by(auth_server, "editor")

    with auth_server.http("stranger") as http:
        response = http.put(f"{BLOBS}/{digest}", content=data[:-1] + b"!")

    assert response.status_code == 400 and "hash to" in response.json()["message"]
    assert _head(auth_server, "stranger", digest).status_code == 404


def test_the_uploader_may_name_the_blob_in_a_manifest(auth_server, world):
    digest, data = _uploaded_by(auth_server, "editor")

    with auth_server.http("editor") as http:
        response = http.post(
            f"/api/v1/runs/{world.run_id}/artifacts",
            json={"entries": {"data.bin": {"digest": digest, "size": len(data)}}},
        )

    assert response.status_code == 200, response.text
    [entry] = auth_server.backend.artifacts.manifest(world.run_id, "data.bin").values()
    assert (entry.digest, entry.size) == (digest, len(data))


def _version_holding(auth_server, data):
    """A new model version (of a new model and run nobody has a role on) holding ``data``."""
    lib = auth_server.admin_lib
    run_id = lib.create_run(lib.create_experiment(unique("e"))).info.run_id
    auth_server.backend.artifacts.log_bytes(run_id, data, "model/weights.bin")
    model = unique("m")
    lib.create_registered_model(model)
    lib.create_model_version(model, f"runs:/{run_id}/model")
    return model, run_id


def test_a_reader_of_a_model_version_may_fetch_its_blobs(auth_server):
    data = os.urandom(64)
    model, _ = _version_holding(auth_server, data)
    auth_server.grant("reader", "read", model=model)
    digest = hashlib.sha256(data).hexdigest()

    assert _get(auth_server, "reader", digest).content == data
    assert _head(auth_server, "stranger", digest).status_code == 404


def test_a_reader_of_a_run_may_fetch_its_blobs(auth_server):
    data = os.urandom(64)
    _, run_id = _version_holding(auth_server, data)
    experiment_id = auth_server.admin_lib.get_run(run_id).info.experiment_id
    auth_server.grant("reader", "read", experiment=experiment_id)

    assert _get(auth_server, "reader", hashlib.sha256(data).hexdigest()).content == data


def test_a_reader_downloads_a_version_they_may_read_through_the_client(auth_server, tmp_path):
    data = os.urandom(64)
    model, _ = _version_holding(auth_server, data)
    auth_server.grant("reader", "read", model=model)

    reader = auth_server.client("reader")

    reader.download_model_version_artifacts(model, 1, dst_path=tmp_path)

    assert (tmp_path / "weights.bin").read_bytes() == data


def test_an_admin_may_fetch_every_blob(auth_server):
    digest, data = _uploaded_by(auth_server, "editor")

    assert _head(auth_server, "admin", digest).status_code == 200
    assert _get(auth_server, "admin", digest).content == data


def test_the_uploader_asks_by_digest_and_skips_a_second_upload(auth_server, tmp_path):
    from modelreg.remote.blobs import RemoteBlobStore
    from modelreg.remote.http import HttpSession

    path = tmp_path / "weights.bin"
    path.write_bytes(os.urandom(64))
    sent = []
    session = HttpSession(auth_server.url, token=auth_server.tokens["editor"])
    session.client.event_hooks["request"] = [lambda request: sent.append(request.method)]
    blobs = RemoteBlobStore(session)

    blobs.put_file(path)
    first, sent[:] = list(sent), []
    blobs.put_file(path)

    assert first == ["HEAD", "PUT"] and sent == ["HEAD"]


def test_the_mlflow_artifact_upload_lets_its_uploader_fetch_the_blob(auth_server, world):
    data = os.urandom(64)
    path = f"/api/2.0/mlflow-artifacts/artifacts/{world.experiment_id}/{world.run_id}/artifacts/x"

    with auth_server.http("editor") as http:
        response = http.put(path, content=data)

    assert response.status_code == 200, response.text
    assert _get(auth_server, "editor", hashlib.sha256(data).hexdigest()).content == data


def test_without_auth_any_caller_reads_any_blob_by_digest(live_server):
    data = os.urandom(64)
    digest = hashlib.sha256(data).hexdigest()

    with httpx.Client(base_url=live_server, headers={"X-Modelreg-User": "ann"}) as ann:
        assert ann.put(f"{BLOBS}/{digest}", content=data).status_code == 201
    with httpx.Client(base_url=live_server, headers={"X-Modelreg-User": "bob"}) as bob:
        assert bob.head(f"{BLOBS}/{digest}").status_code == 200
        assert bob.get(f"{BLOBS}/{digest}").content == data
