//! ListMultipartUploads for s3s-fs 0.14.1, which answers it NotImplemented.
//!
//! s3s-fs keeps each started upload as files in its root folder:
//! `.upload-{id}.json` while the upload is open (removed by Complete and
//! Abort), and `.bucket-{b64(bucket)}.object-{b64(key)}.upload-{id}.metadata.json`
//! with the object's headers (base64url without padding). This route reads
//! them to answer `GET /{bucket}?uploads[&prefix=…]` as S3 does: every open
//! upload of the bucket under the prefix, in key order, its time the one
//! s3s-fs wrote it at. It runs after s3s has checked the SigV4 signature.
//! One page always (tests and benchmarks leave a handful).
//!
//! The integration tests' server and the benchmark's `s3-server` share this
//! file (bench/src/bin/s3-server.rs includes it by path).

use std::path::PathBuf;

use base64::Engine as _;
use hyper::http::Extensions;
use hyper::{HeaderMap, Method, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result};

/// The route: s3s-fs's root folder.
pub struct ListUploads {
    pub root: PathBuf,
}

/// One open upload as s3s-fs keeps it.
struct Open {
    key: String,
    id: String,
    initiated: std::time::SystemTime,
}

#[async_trait::async_trait]
impl S3Route for ListUploads {
    fn is_match(&self, method: &Method, uri: &Uri, _: &HeaderMap, _: &mut Extensions) -> bool {
        let bucket_only = !uri.path().trim_matches('/').contains('/');
        *method == Method::GET && bucket_only && query(uri).iter().any(|(k, _)| k == "uploads")
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let bucket = decode(req.uri.path().trim_matches('/'));
        let prefix = query(&req.uri)
            .into_iter()
            .find(|(k, _)| k == "prefix")
            .map(|(_, v)| v)
            .unwrap_or_default();
        let uploads = self.open(&bucket, &prefix);
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>{}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>{}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>",
            escape(&bucket),
            escape(&prefix)
        );
        for u in uploads {
            xml.push_str(&format!(
                "<Upload><Key>{}</Key><UploadId>{}</UploadId><Initiated>{}</Initiated><StorageClass>STANDARD</StorageClass></Upload>",
                escape(&u.key),
                u.id,
                timestamp(u.initiated)
            ));
        }
        xml.push_str("</ListMultipartUploadsResult>");
        let mut resp = S3Response::new(Body::from(xml));
        resp.headers.insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/xml"),
        );
        Ok(resp)
    }
}

impl ListUploads {
    /// The open uploads of `bucket` whose keys start with `prefix`, sorted.
    fn open(&self, bucket: &str, prefix: &str) -> Vec<Open> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let head = format!(".bucket-{}.object-", b64.encode(bucket));
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name
                .strip_prefix(&head)
                .and_then(|r| r.strip_suffix(".metadata.json"))
            else {
                continue;
            };
            let Some((key, id)) = rest.split_once(".upload-") else {
                continue;
            };
            let Some(key) = b64.decode(key).ok().and_then(|k| String::from_utf8(k).ok()) else {
                continue;
            };
            // Open while s3s-fs keeps its upload record.
            let record = self.root.join(format!(".upload-{id}.json"));
            let Ok(initiated) = std::fs::metadata(&record).and_then(|m| m.modified()) else {
                continue;
            };
            if key.starts_with(prefix) {
                found.push(Open {
                    key,
                    id: id.to_string(),
                    initiated,
                });
            }
        }
        found.sort_by(|a, b| (&a.key, &a.id).cmp(&(&b.key, &b.id)));
        found
    }
}

/// The query's pairs, percent-decoded (`uploads` has an empty value).
fn query(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// RFC 3339 in UTC with milliseconds, as S3 writes `Initiated`.
fn timestamp(t: std::time::SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let t = t.replace_millisecond(t.millisecond()).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
