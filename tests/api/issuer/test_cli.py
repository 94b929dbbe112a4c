"""``drukid issuer ...`` on the local data directory (the remote mode runs in test_live)."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from credentials.x509 import LeafPurpose
from did.keys import PublicKey
from drukid.devpki import DevelopmentPKI, pem
from issuer.cli import app
from issuer.operator import local_actor
from servicekit.qr import decode_qr_image
from tests.api.issuer.conftest import KARMA, api_key, create_offer
from tests.support.oid4vci_client import WalletClient


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return {
        "DRUKID_ISSUER_MODE": "development",
        "DRUKID_ISSUER_DATA_DIR": str(data_dir),
        "DRUKID_ISSUER_STATUS_LIST_SIZE": "4096",
        "DRUKID_ISSUER_URL": "",
        "DRUKID_ISSUER_API_KEY": "",
    }


def test_local_cli_end_to_end(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["apikey", "create", "--role", "admin", "--json"], env=env)
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["api_key"].startswith("drk_")
    listed = runner.invoke(app, ["registry", "list", "--json", "--limit", "3"], env=env)
    assert json.loads(listed.stdout)["total"] == 12
    add = runner.invoke(
        app,
        [
            "registry",
            "add",
            "--cid",
            "12345678901",
            "--given-name",
            "Phuntsho",
            "--gender",
            "male",
            "--birthdate",
            "1990-01-01",
            "--birth-dzongkhag",
            "Haa",
            "--birth-gewog",
            "Bji",
            "--birth-village",
            "Jyenkana",
            "--dzongkhag",
            "Haa",
            "--gewog",
            "Bji",
            "--village",
            "Jyenkana",
            "--house-number",
            "J-1",
        ],
        env=env,
    )
    assert add.exit_code == 0, add.output
    bad = runner.invoke(
        app,
        [
            "registry",
            "add",
            "--cid",
            "1",
            "--given-name",
            "X",
            "--gender",
            "male",
            "--birthdate",
            "1990-01-01",
            "--birth-dzongkhag",
            "Haa",
            "--birth-gewog",
            "B",
            "--birth-village",
            "J",
            "--dzongkhag",
            "Haa",
            "--gewog",
            "B",
            "--village",
            "J",
            "--house-number",
            "1",
        ],
        env=env,
    )
    assert bad.exit_code == 2
    assert "11 digits" in bad.output
    people_csv = tmp_path / "people.csv"
    people_csv.write_text(
        "cid,given_name,gender,birthdate,birth_dzongkhag,birth_gewog,"
        "birth_village,dzongkhag,gewog,village,house_number\n"
        "12345678902,Dawa,female,1985-05-05,Paro,Doga,Dopshari,Paro,Doga,"
        "Dopshari,D-2\n",
        encoding="utf-8",
    )
    imported = runner.invoke(app, ["registry", "import", str(people_csv)], env=env)
    assert "1 added" in imported.output
    offer = runner.invoke(
        app,
        [
            "offer",
            "--person",
            KARMA,
            "--type",
            "permanent-address",
            "--tx-code",
            "--json",
            "--qr",
            str(tmp_path / "q.png"),
        ],
        env=env,
    )
    assert offer.exit_code == 0, offer.output
    result = json.loads(offer.stdout)
    assert decode_qr_image(tmp_path / "q.png") == [result["offer_uri"]]
    assert len(result["tx_code"]) == 6
    human = runner.invoke(app, ["offer", "--person", KARMA], env=env)
    assert "openid-credential-offer://" in human.output
    missing = runner.invoke(app, ["offer", "--person", "99999999999"], env=env)
    assert missing.exit_code == 1
    assert "unknown_person" in missing.output
    audit = runner.invoke(app, ["audit", "--json"], env=env)
    actions = [item["action"] for item in json.loads(audit.stdout)["items"]]
    assert actions.count("offer.create") == 2
    assert "apikey.create" in actions
    rotated = runner.invoke(app, ["keys", "rotate", "--json"], env=env)
    assert json.loads(rotated.stdout)["retired"]
    unknown = runner.invoke(app, ["revoke", "cred_missing"], env=env)
    assert unknown.exit_code == 1
    assert "unknown_credential" in unknown.output


def test_bulk_offers_write_links_and_qr_codes(env: dict[str, str], tmp_path: Path) -> None:
    rows = [
        "cid,type",
        f"{KARMA},foundational-id",
        "10711001234,permanent-address",
        "10303002345,business-licence",
    ]
    source = tmp_path / "batch.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["offers", "--from-csv", str(source), "--out", str(out), "--tx-code"], env=env
    )
    assert result.exit_code == 0, result.output
    with (out / "offers.csv").open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert [row["subject"] for row in written] == [KARMA, "10711001234", "BL-2025-00982"]
    assert all(len(row["tx_code"]) == 6 for row in written)
    assert stat.S_IMODE((out / "offers.csv").stat().st_mode) == 0o600
    for row in written:
        image = out / "qr" / f"{row['offer_ref']}.png"
        assert decode_qr_image(image) == [row["offer_uri"]]
    no_type = tmp_path / "notype.csv"
    no_type.write_text(f"cid\n{KARMA}\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["offers", "--from-csv", str(no_type)], env=env)
    assert refused.exit_code == 2


def test_cli_refuses_bad_settings_with_a_plain_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["registry", "list"],
        env={
            "DRUKID_ISSUER_MODE": "production",
            "DRUKID_ISSUER_PUBLIC_URL": "",
            "DRUKID_ISSUER_DATA_DIR": str(tmp_path),
            "DRUKID_ISSUER_URL": "",
        },
    )
    assert result.exit_code == 2
    assert "PUBLIC_URL" in result.output
    remote = CliRunner().invoke(
        app, ["audit", "--url", "http://127.0.0.1:1"], env={"DRUKID_ISSUER_API_KEY": ""}
    )
    assert remote.exit_code == 2
    assert "--api-key" in remote.output


def test_status_commands_for_every_copy_from_an_offer(
    env: dict[str, str], client: Any, wallet: WalletClient
) -> None:
    """``revoke|suspend|reinstate --offer OFFER_REF [--reason TEXT]`` on the local data; the
    issuer serving the same data directory sees the change at once."""
    admin = api_key(client, "admin")
    wallet.receive(create_offer(client, admin)["offer_uri"], keys=1)  # another offer: untouched
    offer = create_offer(client, admin)
    wallet.receive(offer["offer_uri"], keys=3)
    runner = CliRunner()

    suspended = runner.invoke(
        app, ["suspend", "--offer", offer["offer_ref"], "--reason", "phone lost"], env=env
    )
    assert suspended.exit_code == 0, suspended.output
    assert f"3 of the 3 credentials from {offer['offer_ref']} are now suspended" in " ".join(
        suspended.output.split()
    )
    revoked = runner.invoke(app, ["revoke", "--offer", offer["offer_ref"], "--json"], env=env)
    assert revoked.exit_code == 0, revoked.output
    result = json.loads(revoked.stdout)
    assert result["changed"] == 3
    assert {c["status"] for c in result["credentials"]} == {"revoked"}
    listed = client.get("/api/v1/credentials", headers=admin).json()["items"]
    assert sorted(c["status"] for c in listed) == ["revoked"] * 3 + ["valid"]
    entries = client.get("/api/v1/audit", headers=admin).json()["items"]
    suspends = [e for e in entries if e["action"] == "credential.suspend"]
    assert len(suspends) == 3
    assert {e["detail"]["reason"] for e in suspends} == {"phone lost"}
    assert {e["actor"] for e in suspends} == {local_actor().id}

    single = next(c["id"] for c in listed if c["status"] == "valid")
    done = runner.invoke(app, ["suspend", single, "--reason", "checking"], env=env)
    assert done.exit_code == 0, done.output
    assert f"{single} is now suspended" in done.output
    assert client.get("/api/v1/audit", headers=admin).json()["items"][0]["detail"]["reason"] == (
        "checking"
    )

    nothing = runner.invoke(app, ["reinstate", "--offer", offer["offer_ref"]], env=env)
    assert nothing.exit_code == 1
    assert "status_transition_refused" in nothing.output
    unknown = runner.invoke(app, ["revoke", "--offer", "off_0123456789abcdef"], env=env)
    assert unknown.exit_code == 1
    assert "unknown_offer" in unknown.output
    for args, code in [
        (["revoke"], "missing_target"),
        (["revoke", single, "--offer", offer["offer_ref"]], "ambiguous_target"),
    ]:
        usage = runner.invoke(app, args, env=env)
        assert usage.exit_code == 2, usage.output
        assert code in usage.output


def test_keys_prepare_then_rotate_with_the_chain(env: dict[str, str], tmp_path: Path) -> None:
    """The command-line rotation once the issuer signs with certificates: the new key first,
    its certificate from the CA (`pki issue --use-key`), then the rotation that activates it."""
    runner = CliRunner()
    certified = {**env, "DRUKID_ISSUER_X509_REQUIRED": "true"}
    refused = runner.invoke(app, ["keys", "rotate"], env=certified)
    assert refused.exit_code == 1
    assert "certificate_required" in refused.output
    public = tmp_path / "next.jwk"
    prepared = runner.invoke(app, ["keys", "prepare", "--out", str(public)], env=certified)
    assert prepared.exit_code == 0, prepared.output
    assert "signs nothing yet" in prepared.output
    key = PublicKey.from_jwk(json.loads(public.read_text()))
    chain = tmp_path / "next-chain.pem"
    chain.write_bytes(
        pem(
            DevelopmentPKI.create().issue(
                LeafPurpose.ISSUER,
                key,
                name="Registry",
                organization="DCRC",
                san_uris=["http://127.0.0.1:8101"],
            )
        )
    )
    rotated = runner.invoke(app, ["keys", "rotate", "--chain", str(chain), "--json"], env=certified)
    assert rotated.exit_code == 0, rotated.output
    assert json.loads(rotated.stdout)["kid"] == key.thumbprint()
    listed = json.loads(runner.invoke(app, ["keys", "list", "--json"], env=certified).stdout)
    [active] = [k for k in listed if k["active"]]
    assert active["certificate"] == "DCRC — Registry (BT)"
    renewed = runner.invoke(app, ["keys", "certify", "--chain", str(chain)], env=certified)
    assert renewed.exit_code == 0, renewed.output
    missing = runner.invoke(app, ["keys", "certify", "--chain", str(tmp_path / "no.pem")], env=env)
    assert missing.exit_code == 2


@pytest.mark.parametrize(
    "argv",
    [
        ("registry", "import", "{file}"),
        ("offers", "--from-csv", "{file}"),
    ],
)
@pytest.mark.parametrize(
    ("content", "says", "code"),
    [
        (None, "there is no file", "file_not_found"),
        (
            b"cid\n\xff\xfe\n",
            "is not UTF-8 text (in a spreadsheet: save as 'CSV UTF-8')",
            "invalid_csv",
        ),
    ],
)
def test_a_missing_or_unreadable_csv_is_named_in_plain_words(
    env: dict[str, str],
    tmp_path: Path,
    argv: tuple[str, ...],
    content: bytes | None,
    says: str,
    code: str,
) -> None:
    file = tmp_path / "people.csv"
    if content is not None:
        file.write_bytes(content)
    args = [part.format(file=file) for part in argv]
    if argv[0] == "offers":
        args += ["--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ")
    assert says in lines[0]
    assert lines[1].startswith("what to do: ")
    assert lines[-1] == f"code: {code}"
    assert "Errno" not in result.output
    assert not (tmp_path / "o").exists()


def test_signin_code_command(tmp_path: Any, monkeypatch: Any) -> None:
    """``drukid issuer signin-code CID`` locally: the code, grouped, and its JSON form."""
    from typer.testing import CliRunner

    from drukid.cli import app as drukid_app

    monkeypatch.setenv("DRUKID_ISSUER_MODE", "development")
    monkeypatch.setenv("DRUKID_ISSUER_DATA_DIR", str(tmp_path / "issuer"))
    monkeypatch.setenv("DRUKID_ISSUER_STATUS_LIST_SIZE", "4096")
    runner = CliRunner()
    result = runner.invoke(drukid_app, ["issuer", "signin-code", "11512003456"])
    assert result.exit_code == 0, result.output
    assert "Sign-in code for 11512003456:" in result.output
    as_json = runner.invoke(drukid_app, ["issuer", "signin-code", "11512003456", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert len(json.loads(as_json.output)["signin_code"]) == 8
    unknown = runner.invoke(drukid_app, ["issuer", "signin-code", "99999999999"])
    assert unknown.exit_code == 1
    assert "person_not_found" in unknown.output
