"""Peak memory and time of reading a large HTML page and a large Word file the way the store does
(segment by segment), each in a child process of its own so its peak RSS is the reading's.

    .venv/bin/python -m bench.knowledge.streaming_memory [--html-mb 20] [--docx-xml-mb 90]

The HTML is a help page of layout wrappers, sections with headings, lists with their lead-in,
tables and FAQ markup; the Word file repeats a body of headings, list paragraphs, bold questions
and tables until its XML is the size asked (under the 100 MB unpacked limit). Results go to
bench/results/knowledge-streaming.json and .md.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import docx

RESULTS = Path(__file__).resolve().parents[1] / "results"

_READ = """
import json, resource, sys, time
from pathlib import Path
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.readers import read_part
path, limits = Path(sys.argv[1]), IngestLimits(max_file_mb=500)
started = time.perf_counter()
part = read_part(path, limits)
units, segments = len(part.blocks), 1
while part.next_start is not None:
    part = read_part(path, limits, part.next_start, part.last_heading)
    units, segments = units + len(part.blocks), segments + 1
print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "units": units, "segments": segments,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def write_html(path: Path, megabytes: float) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.write("<!DOCTYPE html><html><head><title>Harbour guide</title>"
                   "<style>.promo { display: none }</style></head><body><header>Site</header>"
                   '<div id="page"><main><article>')
        n = 0
        while file.tell() < megabytes * 1e6:
            file.write(
                f"<section><h2>Crossing {n}</h2><p>Before you book crossing {n}, read this:</p>"
                f"<ol><li>Open the booking page for crossing {n}.</li><li>Choose a day.</li></ol>"
                f"<table><tr><th>Plan</th><th>Price</th></tr><tr><td>Off-peak {n}</td><td>£{n % 30}</td></tr>"
                f'</table><div class="promo">Hidden {n}</div><details><summary>Can I bring a bike on '
                f"crossing {n}?</summary>Yes, bikes go free.</details></section>"
            )
            n += 1
        file.write("</article></main></div><footer>Copyright</footer></body></html>")


def write_docx(path: Path, xml_megabytes: float) -> None:
    """A small document made with python-docx, its body repeated until the XML is big enough."""
    document = docx.Document()
    document.core_properties.title = "Gym handbook"
    for n in range(20):
        document.add_heading(f"Site {n}", level=1)
        document.add_paragraph(f"Every membership at site {n} includes:")
        document.add_paragraph(f"unlimited spin classes at studio {n}", style="List Bullet")
        bold = document.add_paragraph()
        bold.add_run(f"Is there a pool at site {n}?").bold = True
        bold.add_run(" No, but the sauna is open to every member.")
        table = document.add_table(rows=2, cols=2)
        for row, cells in zip(table.rows, [("Plan", "Monthly fee"), (f"Off-peak {n}", f"£{n}")], strict=True):
            row.cells[0].text, row.cells[1].text = cells
    small = path.with_suffix(".small.docx")
    document.save(str(small))
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                text = data.decode()
                body = re.search(r"<w:body>(.*)(<w:sectPr.*</w:sectPr>)</w:body>", text, re.DOTALL)
                assert body is not None
                copies = int(xml_megabytes * 1e6 / len(body.group(1).encode())) + 1
                repeated = f"<w:body>{body.group(1) * copies}{body.group(2)}</w:body>"
                text = text.replace(body.group(0), repeated)
                data = text.encode()
            target.writestr(item, data)
    small.unlink()


def measure(path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _READ, str(path)], capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(out.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html-mb", type=float, default=20.0)
    parser.add_argument("--docx-xml-mb", type=float, default=90.0)
    args = parser.parse_args()
    results: dict[str, object] = {"machine": platform.machine(), "python": platform.python_version()}
    with tempfile.TemporaryDirectory(prefix="earpiece-stream-") as tmp:
        html, word = Path(tmp) / "guide.html", Path(tmp) / "handbook.docx"
        write_html(html, args.html_mb)
        write_docx(word, args.docx_xml_mb)
        xml_mb = zipfile.ZipFile(word).getinfo("word/document.xml").file_size / 1e6
        results["html"] = {"file_mb": round(html.stat().st_size / 1e6, 1), **measure(html)}
        results["docx"] = {"file_mb": round(word.stat().st_size / 1e6, 1), "xml_mb": round(xml_mb, 1),
                           **measure(word)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "knowledge-streaming.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["# Streaming HTML and Word: peak memory", "",
             "| file | size | seconds | units | segments | peak RSS |", "|---|---|---|---|---|---|"]
    for kind in ("html", "docx"):
        r = results[kind]
        assert isinstance(r, dict)
        size = f"{r['file_mb']} MB" + (f" ({r['xml_mb']} MB of XML)" if "xml_mb" in r else "")
        lines.append(f"| {kind} | {size} | {r['seconds']} | {r['units']} | {r['segments']} "
                     f"| {r['peak_rss_mb']} MB |")
    (RESULTS / "knowledge-streaming.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
