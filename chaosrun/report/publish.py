"""Publish a reports directory to a local folder or an S3 prefix (``s3://bucket/prefix``).

The index is regenerated first so the published copy lists every run. S3 objects get a
Content-Type so that browsers open the HTML reports directly (e.g. behind CloudFront).
"""

from __future__ import annotations

import mimetypes
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from chaosrun.aws.clients import AwsClients
from chaosrun.errors import ChaosrunError, InvalidInput
from chaosrun.report.index import write_index

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".md": "text/markdown; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def _files(reports_dir: Path) -> list[Path]:
    return sorted(p for p in reports_dir.rglob("*") if p.is_file() and not p.name.endswith(".tmp"))


def publish(
    reports_dir: Path | str, destination: str, clients: AwsClients | None = None
) -> list[str]:
    """Copy ``reports_dir`` to ``destination``; returns the written paths or ``s3://`` URLs."""
    src = Path(reports_dir)
    if not src.is_dir():
        raise InvalidInput(f"{src} is not a directory: give the reports directory to publish")
    write_index(src)
    if destination.startswith("s3://"):
        return _to_s3(src, destination, clients or AwsClients())
    dest = Path(destination)
    if dest.resolve() == src.resolve():
        raise InvalidInput("the destination is the reports directory itself: pick another folder")
    written = []
    for path in _files(src):
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        written.append(str(target))
    return written


def _to_s3(src: Path, destination: str, clients: AwsClients) -> list[str]:
    parts = urlsplit(destination)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    if not bucket:
        raise InvalidInput(f"{destination}: expected s3://bucket/prefix")
    s3 = clients.client("s3")
    written = []
    for path in _files(src):
        key = "/".join(p for p in (prefix, path.relative_to(src).as_posix()) if p)
        ctype = CONTENT_TYPES.get(path.suffix) or (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        try:
            s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": ctype})
        except Exception as exc:  # botocore ClientError, S3UploadFailedError
            raise ChaosrunError(
                f"could not upload {path.name} to s3://{bucket}/{key}: {exc}; check the bucket "
                "name, region and s3:PutObject permission"
            ) from exc
        written.append(f"s3://{bucket}/{key}")
    return written
