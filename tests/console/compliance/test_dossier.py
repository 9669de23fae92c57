"""Level dossiers and the annual report: Vietnamese PDF with correct diacritics, the same data in CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import subprocess

from console.compliance import dossier
from console.compliance.catalog import load_catalog
from console.compliance import runs as compliance_runs
from console.access.actor import Actor
from tests.console.compliance import estate
from tests.console.compliance.helpers import ops


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_shipped_land_procedures_system_gets_a_vietnamese_level_3_dossier(session_factory, synced, tmp_path):
    """What `make demo` shows: the department's systems after a run, the dossier in Vietnamese, the transition gap."""
    compliance_runs.execute(session_factory, Actor.cli(), load_catalog())
    with session_factory() as session:
        land = dossier.collect(session, "dossier", "system_land_procedures")
        network = dossier.collect(session, "dossier", "system_internal_network")
    text = " ".join(pdf_text(dossier.render_bytes(land, "pdf", "vi"), tmp_path).split())
    assert "Hồ sơ đề xuất cấp độ an toàn hệ thống thông tin" in text
    assert "Hệ thống thủ tục hành chính đất đai và môi trường" in text and "Cấp độ 3" in text
    assert "Căn cứ pháp lý" in text and "Nghị định 331/2026/NĐ-CP" in text and "Điều 31.2.d" in text
    assert "Thiếu bằng chứng thủ công" in text and "Văn phòng Đăng ký đất đai" in text
    gap = {item["requirement_id"] for item in network["systems"][0]["transition_gap"]}
    assert {"C-TIME-SYNC", "C-INCIDENT-NOTICE", "C-LOG-SIEM", "C-CLOUD-SEPARATION", "C-POWER"} <= gap
    english = pdf_text(dossier.render_bytes(network, "pdf", "en"), tmp_path)
    assert "Security level dossier" in english and "Transition gap" in english


def test_csv_and_json_carry_the_same_requirements_and_verdicts(session_factory, tmp_path):
    estate.build(tmp_path, session_factory)
    estate.firewall(session_factory, "land-app-01", "drop", "accept")
    compliance_runs.execute(session_factory, Actor.cli(), estate.catalog(tmp_path))
    with session_factory() as session:
        data = dossier.collect(session, "dossier", "system_documents")
    body = json.loads(dossier.render_bytes(data, "json", "vi"))
    rows = list(csv.DictReader(io.StringIO(dossier.render_bytes(data, "csv", "en").decode())))
    system = body["systems"][0]
    expected = [(r["requirement_id"], r["verdict"]) for r in system["requirements"] + system["transition_gap"]]
    assert [(r["requirement_id"], r["verdict"]) for r in rows] == expected
    assert {r["part"] for r in rows} == {"requirement", "transition_gap"} and len(rows) == 21 + 5


def test_cli_writes_the_dossier_and_the_annual_report(config_file, session_factory, synced, tmp_path):
    compliance_runs.execute(session_factory, Actor.cli(), load_catalog())
    out = tmp_path / "filed"
    made = ops(config_file, "compliance", "dossier", "system_land_procedures", "--format", "pdf,csv",
               "--lang", "vi", "--report-dir", str(out))
    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in out.iterdir()) == ["dossier-system_land_procedures-run-1.vi.csv",
                                                      "dossier-system_land_procedures-run-1.vi.pdf"]
    annual = ops(config_file, "compliance", "annual-report", "--format", "json", "--report-dir", str(out))
    assert annual.exit_code == 0, annual.output
    data = json.loads(next(out.glob("annual-report-*-run-1.json")).read_text())
    assert len(data["systems"]) == 4 and data["deadline"].endswith("-12-20")
    pdf = ops(config_file, "compliance", "annual-report", "--format", "pdf", "--lang", "vi", "--report-dir", str(out))
    text = " ".join(pdf_text(next(out.glob("annual-report-*.vi.pdf")).read_bytes(), tmp_path).split())
    assert pdf.exit_code == 0 and "Điều 35.4" in text and "Hệ thống quản lý văn bản và điều hành" in text
    unknown = ops(config_file, "compliance", "dossier", "system_nowhere")
    assert unknown.exit_code != 0 and "no assessment of system 'system_nowhere'" in unknown.output
