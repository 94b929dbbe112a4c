"""``drukid sd-jwt decode|issue|present|verify``: the contract other teams script against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credentials.cli import app
from did.keys import PrivateKey
from did.methods.jwk import create_did_jwk

runner = CliRunner()
NOW = 1_800_000_000
CLAIMS = {
    "given_name": "Sonam",
    "family_name": "Choden",
    "birthdate": "1990-01-31",
    "address": {"dzongkhag": "Thimphu", "gewog": "Chang", "village": "Motithang"},
    "nationalities": ["BT", "IN"],
}


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    issuer, holder = PrivateKey.generate("ES256"), PrivateKey.generate("EdDSA")
    paths = {"issuer": tmp_path / "issuer.jwk", "holder": tmp_path / "holder.jwk"}
    issuer.save(paths["issuer"])
    holder.save(paths["holder"])
    public = tmp_path / "issuer.pub.jwk"
    public.write_text(json.dumps(issuer.public_key.to_jwk()))
    paths["issuer_pub"] = public
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(CLAIMS))
    paths["claims"] = claims
    return paths


def _invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _issue(keys: dict[str, Path], tmp_path: Path, *extra: str) -> Path:
    code, out, err = _invoke(
        "issue",
        "--issuer-key", str(keys["issuer"]),
        "--claims", str(keys["claims"]),
        "--sd", "/birthdate", "--sd", "/address", "--sd", "/address/village",
        "--sd", "/nationalities/1", "--sd", "/given_name",
        "--holder-key", str(keys["holder"]),
        *extra,
    )  # fmt: skip
    assert code == 0, err
    path = tmp_path / "credential.sd-jwt"
    path.write_text(out)
    return path


def _present(credential: Path, tmp_path: Path, *disclose: str) -> Path:
    args = ["present", str(credential)]
    for path in disclose:
        args += ["--disclose", path]
    args += ["--holder-key", str(tmp_path / "holder.jwk"), "--nonce", "n-1", "--aud", "bank"]
    code, out, err = _invoke(*args, "--now", str(NOW))
    assert code == 0, err
    path = tmp_path / "presentation.sd-jwt"
    path.write_text(out)
    return path


def test_issue_present_verify_discloses_exactly_the_chosen_claims(
    keys: dict[str, Path], tmp_path: Path
) -> None:
    credential = _issue(keys, tmp_path, "--iss", "https://registry.example.bt")
    presentation = _present(credential, tmp_path, "/address/village", "/nationalities/1")
    code, out, err = _invoke(
        "verify", str(presentation), "--issuer-key", str(keys["issuer_pub"]),
        "--require-kb", "--nonce", "n-1", "--aud", "bank", "--now", str(NOW),
    )  # fmt: skip
    assert code == 0, err
    claims = json.loads(out)
    assert claims["family_name"] == "Choden"
    assert claims["address"] == {"dzongkhag": "Thimphu", "gewog": "Chang", "village": "Motithang"}
    assert claims["nationalities"] == ["BT", "IN"]
    assert "birthdate" not in claims
    assert "given_name" not in claims
    assert "_sd" not in json.dumps(claims)


def test_verify_rejects_wrong_nonce_with_code_and_exit_1(
    keys: dict[str, Path], tmp_path: Path
) -> None:
    presentation = _present(_issue(keys, tmp_path), tmp_path, "/given_name")
    code, out, err = _invoke(
        "verify", str(presentation), "--issuer-key", str(keys["issuer_pub"]),
        "--require-kb", "--nonce", "other", "--aud", "bank", "--now", str(NOW),
    )  # fmt: skip
    assert code == 1
    assert out == ""
    assert "nonce_mismatch" in err


def test_verify_now_applies_to_kb_iat(keys: dict[str, Path], tmp_path: Path) -> None:
    presentation = _present(_issue(keys, tmp_path), tmp_path, "/given_name")
    code, _, err = _invoke(
        "verify", str(presentation), "--issuer-key", str(keys["issuer_pub"]),
        "--require-kb", "--nonce", "n-1", "--aud", "bank", "--now", str(NOW + 3600),
    )  # fmt: skip
    assert code == 1
    assert "kb_iat_invalid" in err


def test_verify_reads_stdin_and_requires_kb_when_asked(
    keys: dict[str, Path], tmp_path: Path
) -> None:
    credential = _issue(keys, tmp_path).read_text()
    code, out, err = _invoke(
        "verify", "-", "--issuer-key", str(keys["issuer_pub"]), "--now", str(NOW), stdin=credential
    )
    assert code == 0, err
    assert json.loads(out)["birthdate"] == "1990-01-31"
    code, _, err = _invoke(
        "verify", "-", "--issuer-key", str(keys["issuer_pub"]), "--require-kb",
        "--nonce", "n", "--aud", "a", "--now", str(NOW), stdin=credential,
    )  # fmt: skip
    assert code == 1
    assert "key_binding_required" in err


def test_verify_with_issuer_did(keys: dict[str, Path], tmp_path: Path) -> None:
    issuer = PrivateKey.load(keys["issuer"])
    did = create_did_jwk(issuer.public_key)
    credential = _issue(keys, tmp_path, "--iss", did, "--kid", f"{did}#0")
    code, out, err = _invoke("verify", str(credential), "--issuer-did", did, "--now", str(NOW))
    assert code == 0, err
    assert json.loads(out)["iss"] == did
    other = create_did_jwk(PrivateKey.generate("ES256").public_key)
    code, _, err = _invoke("verify", str(credential), "--issuer-did", other, "--now", str(NOW))
    assert code == 1
    assert "rejected:" in err


def test_vc_profile(keys: dict[str, Path], tmp_path: Path) -> None:
    vct = "https://registry.example.bt/types/foundational-id"
    credential = _issue(
        keys, tmp_path, "--vct", vct, "--iss", "https://registry.example.bt", "--expires-in", "600"
    )
    code, out, err = _invoke(
        "verify", str(credential), "--issuer-key", str(keys["issuer_pub"]), "--vc"
    )
    assert code == 0, err
    assert json.loads(out)["vct"] == vct
    plain = _issue(keys, tmp_path)  # not an SD-JWT VC: typ sd+jwt, no vct
    code, _, err = _invoke(
        "verify", str(plain), "--issuer-key", str(keys["issuer_pub"]), "--vc", "--now", str(NOW)
    )
    assert code == 1
    assert "invalid_typ" in err


def test_vc_issue_needs_an_issuer(keys: dict[str, Path]) -> None:
    code, _, err = _invoke(
        "issue", "--issuer-key", str(keys["issuer"]), "--claims", str(keys["claims"]),
        "--vct", "https://x.example/t",
    )  # fmt: skip
    assert code == 2
    assert "--iss" in err


def test_decode_labels_unverified_and_lists_disclosures(
    keys: dict[str, Path], tmp_path: Path
) -> None:
    presentation = _present(_issue(keys, tmp_path), tmp_path, "/address/village")
    code, out, err = _invoke("decode", str(presentation))
    assert code == 0, err
    decoded = json.loads(out)
    assert decoded["warning"].startswith("UNVERIFIED")
    assert decoded["header"]["typ"] == "sd+jwt"
    names = sorted(d.get("name") for d in decoded["disclosures"])
    assert names == ["address", "village"]
    assert decoded["key_binding_jwt"]["payload"]["nonce"] == "n-1"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("not an sd-jwt", "invalid_sd_jwt"),
        ("a.b.c~", "malformed"),
        ("", "invalid_sd_jwt"),
    ],
)
def test_decode_and_verify_bad_input_are_clear_errors(
    keys: dict[str, Path], tmp_path: Path, content: str, fragment: str
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(content)
    code, _, err = _invoke("decode", str(bad))
    assert code == 2
    assert fragment in err
    code, _, err = _invoke("verify", str(bad), "--issuer-key", str(keys["issuer_pub"]))
    assert code == 1
    assert err.startswith("error: rejected:")


def test_missing_files_and_bad_keys_are_usage_errors(keys: dict[str, Path], tmp_path: Path) -> None:
    code, _, err = _invoke("decode", str(tmp_path / "nope"))
    assert code == 2
    assert "cannot read" in err
    code, _, err = _invoke("verify", str(keys["claims"]), "--issuer-key", str(keys["claims"]))
    assert code == 2
    assert "not a usable JWK" in err
    code, _, err = _invoke("verify", str(keys["claims"]))
    assert code == 2
    assert "exactly one of" in err


def test_forbidden_selective_disclosure_is_refused_at_issuance(keys: dict[str, Path]) -> None:
    code, _, err = _invoke(
        "issue", "--issuer-key", str(keys["issuer"]), "--claims", str(keys["claims"]),
        "--vct", "https://x.example/t", "--iss", "https://x.example", "--sd", "/iss",
    )  # fmt: skip
    assert code == 2
    assert "forbidden_selective_disclosure" in err
