"""Page count of a PDF (poppler's pdfinfo), for the bench's figures."""

import re
import subprocess
import tempfile


def count(body: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(body)
        handle.flush()
        info = subprocess.run(
            ["pdfinfo", handle.name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
