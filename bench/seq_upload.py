#!/usr/bin/env python3
"""The sequential uploader people write instead of r2filter: the blog post's
script (../shared/000_f653e546fd9c751a.txt, "Cloudflare R2 for a blog"),
written fresh for the benchmark.

For each Markdown file: find `![alt](path)` with a regex, read the whole image,
name it by the first 12 hex of its MD5 under blog/YEAR/MONTH/, PUT it with
requests + requests_aws4auth (one request at a time, no HEAD, no cache), and
replace the link. Differences from the post, so that it runs against the same
loopback server as every other tool: the endpoint, bucket and credentials come
from the command line and the environment, the extension is kept (the post
always writes .jpg), Content-Type comes from the extension, and no x-amz-acl
header is sent (R2 answers it with 501). Like the post's script it uploads
once per reference, not once per distinct file.

    seq_upload.py --endpoint URL --bucket NAME --src DIR --out DIR
"""

import argparse
import hashlib
import mimetypes
import os
import re
import sys
from datetime import datetime

import requests
from requests_aws4auth import AWS4Auth

PATTERN = re.compile(r"!\[(.*?)\]\((.*?)\)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--public-url", default="https://assets.example.com")
    a = ap.parse_args()
    auth = AWS4Auth(
        os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], "auto", "s3"
    )
    now = datetime.now()

    def upload_image(file_path):
        with open(file_path, "rb") as f:
            file_data = f.read()
        md5_hash = hashlib.md5(file_data).hexdigest()[:12]
        ext = os.path.splitext(file_path)[1].lower() or ".jpg"
        file_key = f"blog/{now.year}/{now.month:02d}/{md5_hash}{ext}"
        url = f"{a.endpoint}/{a.bucket}/{file_key}"
        content_type = mimetypes.guess_type(file_path)[0] or "application/octet-stream"
        # requests.put as in the post: a new connection per upload.
        response = requests.put(
            url, data=file_data, auth=auth, headers={"Content-Type": content_type}
        )
        if response.status_code != 200:
            raise Exception(f"Upload failed: {response.status_code} {response.text[:200]}")
        return f"{a.public_url}/{file_key}"

    uploads = 0
    for dirpath, _, names in sorted(os.walk(a.src)):
        for name in sorted(names):
            if not name.endswith(".md"):
                continue
            md_file = os.path.join(dirpath, name)
            with open(md_file, "r", encoding="utf-8") as f:
                content = f.read()
            for alt_text, img_path in PATTERN.findall(content):
                if img_path.startswith("http"):
                    continue
                full_path = os.path.join(dirpath, img_path)
                if not os.path.isfile(full_path):
                    # The regex also "finds" images inside code blocks; the post's
                    # script would crash here. Skip, as a careful user would add.
                    print(f"seq_upload: {md_file}: no file {img_path}, skipped", file=sys.stderr)
                    continue
                r2_url = upload_image(full_path)
                uploads += 1
                content = content.replace(f"![{alt_text}]({img_path})", f"![{alt_text}]({r2_url})")
            dest = os.path.join(a.out, os.path.relpath(md_file, a.src))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(content)
    print(f"seq_upload: {uploads} uploads", file=sys.stderr)


if __name__ == "__main__":
    main()
