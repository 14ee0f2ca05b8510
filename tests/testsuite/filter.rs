//! The stdin/stdout filter against a real S3 server (s3s-fs, SigV4 on).

use crate::support::*;

/// `{hash}.{ext}` keys make every URL computable from the bytes alone.
const FLAT: [&str; 2] = ["--key-template", "{hash}.{ext}"];

fn url_of(bytes: &[u8], ext: &str) -> String {
    format!("{PUBLIC_URL}/{}.{ext}", sha256_hex(bytes))
}

const POST: &str = "---\ntitle: Cats\n---\n\n# Cats\r\n\nInline ![a cat](img/cat.png \"Cat\") and <angle>: ![b](<img/my cat.png>).\n\
Chinese ![c](img/截图.png), encoded ![d](img/caf%C3%A9.png), misnamed ![e](img/photo.jpg).\n\n\
[![thumb](img/cat.png)](img/cat.png)\n\n\
Reference ![r1][cat] and again ![r2][cat] and ![cat].\n\n\
[cat]: img/cat.png \"The cat\"\n\n\
<p align=\"center\">\n  <img\n    src='img/my cat.png'\n    width=300>\n</p>\n\n\
Remote ![x](https://example.org/x.png), data ![y](data:image/png;base64,AAAA), anchor [z](#cats).\n\n\
`![not](img/none.png)`\n\n```md\n![not](img/none.png)\n```\n";

struct Fixture {
    site: Site,
    cat: Vec<u8>,
    mycat: Vec<u8>,
    chinese: Vec<u8>,
    cafe: Vec<u8>,
    photo: Vec<u8>,
}

fn fixture() -> Fixture {
    let site = Site::new();
    let cat = site.image("img/cat.png", 1);
    let mycat = site.image("img/my cat.png", 2);
    let chinese = site.image("img/截图.png", 3);
    let cafe = site.image("img/café.png", 4);
    // A PNG named .jpg: served as PNG, keyed .png.
    let photo = site.image("img/photo.jpg", 5);
    site.write("post.md", POST);
    Fixture {
        site,
        cat,
        mycat,
        chinese,
        cafe,
        photo,
    }
}

impl Fixture {
    /// The filter over post.md against `s3`, with `{hash}.{ext}` keys.
    fn post(&self, s3: &S3Server) -> Output {
        self.site
            .r2filter()
            .against(s3)
            .args(FLAT)
            .stdin(self.site.read("post.md"))
            .run()
    }
}

fn expected(f: &Fixture) -> String {
    let cat = url_of(&f.cat, "png");
    let mycat = url_of(&f.mycat, "png");
    POST.replacen("img/cat.png \"Cat\"", &format!("{cat} \"Cat\""), 1)
        .replacen("<img/my cat.png>", &mycat, 1)
        .replacen("img/截图.png", &url_of(&f.chinese, "png"), 1)
        .replacen("img/caf%C3%A9.png", &url_of(&f.cafe, "png"), 1)
        .replacen("img/photo.jpg", &url_of(&f.photo, "png"), 1)
        .replacen(
            "[![thumb](img/cat.png)](img/cat.png)",
            &format!("[![thumb]({cat})]({cat})"),
            1,
        )
        .replacen("[cat]: img/cat.png", &format!("[cat]: {cat}"), 1)
        .replacen("src='img/my cat.png'", &format!("src='{mycat}'"), 1)
}

#[test]
fn cold_run_uploads_each_image_once_and_splices_only_urls() {
    let s3 = S3Server::start();
    let f = fixture();
    let out = f.post(&s3);
    assert_eq!(out.success(), expected(&f));

    // Five distinct images, one PUT each, whatever the number of references.
    assert_eq!(s3.count("PUT"), 5);
    for (bytes, ext) in [
        (&f.cat, "png"),
        (&f.mycat, "png"),
        (&f.chinese, "png"),
        (&f.cafe, "png"),
        (&f.photo, "png"),
    ] {
        let key = format!("{}.{ext}", sha256_hex(bytes));
        let obj = s3
            .get(&key)
            .unwrap_or_else(|| panic!("{key} is in the bucket"));
        assert_eq!(&obj.bytes, bytes);
        assert_eq!(obj.content_type.as_deref(), Some("image/png"));
        assert_eq!(
            obj.cache_control.as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(obj.metadata.get("sha256"), Some(&sha256_hex(bytes)));
    }
    for put in s3.requests().iter().filter(|r| r.method == "PUT") {
        assert!(
            !put.headers.contains_key("x-amz-acl"),
            "no ACL header unless configured"
        );
        assert!(
            !put.headers.contains_key("x-amz-trailer"),
            "no checksum trailer"
        );
        assert!(
            !put.headers
                .get("content-encoding")
                .is_some_and(|e| e.contains("aws-chunked"))
        );
        // The body is signed with its SHA-256, so the server can reject a corrupted one.
        let key = put.path.rsplit('/').next().unwrap();
        assert_eq!(
            put.headers["x-amz-content-sha256"],
            key.split('.').next().unwrap()
        );
    }
    out.stderr_eq(str![[r#"
r2filter: 11 references in 1 document: 5 uploaded (270 B), 0 from manifest, 0 already in bucket, 2 remote skipped in [ELAPSED]

"#]]);

    let m = f.site.manifest().expect("manifest written");
    assert_eq!(m["version"], 1);
    assert_eq!(m["destination"]["bucket"], BUCKET);
    assert_eq!(m["destination"]["endpoint"], s3.endpoint.as_str());
    assert_eq!(m["destination"]["public_url"], PUBLIC_URL);
    let cat = &m["objects"][sha256_hex(&f.cat)];
    assert_eq!(cat["key"], format!("{}.png", sha256_hex(&f.cat)));
    assert_eq!(cat["url"], url_of(&f.cat, "png"));
    assert_eq!(cat["size"], f.cat.len());
    assert_eq!(cat["content_type"], "image/png");
    assert_eq!(m["objects"].as_object().unwrap().len(), 5);
}

#[test]
fn warm_run_needs_no_network_and_no_credentials() {
    let s3 = S3Server::start();
    let f = fixture();
    let cold = f.post(&s3);
    let cold = cold.success().to_string();
    let manifest_before = f.site.read("r2filter-manifest.json");

    // The server is gone (its port closed) and there are no credentials at all:
    // only the manifest can answer.
    let endpoint = s3.endpoint.clone();
    drop(s3);
    assert!(std::net::TcpStream::connect(endpoint.trim_start_matches("http://")).is_err());
    let warm = f
        .site
        .r2filter()
        .endpoint(&endpoint)
        .args(FLAT)
        .stdin(f.site.read("post.md"))
        .run();
    assert_eq!(warm.success(), cold);
    assert_eq!(f.site.read("r2filter-manifest.json"), manifest_before);
    warm.stderr_eq(str![[r#"
r2filter: 11 references in 1 document: 0 uploaded (0 B), 9 from manifest, 0 already in bucket, 2 remote skipped in [ELAPSED]

"#]]);
}

#[test]
fn warm_run_against_the_server_makes_zero_requests() {
    let s3 = S3Server::start();
    let f = fixture();
    f.post(&s3).success();
    s3.forget_requests();
    f.post(&s3).success();
    assert_eq!(s3.requests().len(), 0);
}

#[test]
fn running_on_its_own_output_changes_nothing() {
    let s3 = S3Server::start();
    let f = fixture();
    let once = f.post(&s3);
    let once = once.success().to_string();
    s3.forget_requests();
    let twice = f.site.r2filter().against(&s3).args(FLAT).stdin(&once).run();
    assert_eq!(twice.success(), once);
    assert_eq!(s3.requests().len(), 0);
}

#[test]
fn default_key_layout_is_year_month_short_hash() {
    let s3 = S3Server::start();
    let site = Site::new();
    let bytes = site.image("a.png", 7);
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--prefix", "blog"])
        .stdin("![a](a.png)\n")
        .run();
    let now = time::OffsetDateTime::now_utc();
    let key = format!(
        "blog/{:04}/{:02}/{}.png",
        now.year(),
        now.month() as u8,
        &sha256_hex(&bytes)[..12]
    );
    assert_eq!(out.success(), format!("![a]({PUBLIC_URL}/{key})\n"));
    assert_eq!(s3.keys(), [key]);
}

#[test]
fn identical_bytes_across_documents_are_uploaded_once() {
    let s3 = S3Server::start();
    let site = Site::new();
    let bytes = site.image("posts/one/shot.png", 9);
    site.write("posts/two/copy-of-shot.png", &bytes);
    let one = site
        .r2filter()
        .against(&s3)
        .args(["--base-dir", "posts/one"])
        .stdin("![a](shot.png) ![b](./shot.png)\n")
        .run();
    one.success();
    let two = site
        .r2filter()
        .against(&s3)
        .args(["--base-dir", "posts/two"])
        .stdin("![c](copy-of-shot.png)\n")
        .run();
    two.success();
    assert_eq!(s3.count("PUT"), 1);
    assert_eq!(s3.keys().len(), 1);
    let url = one.stdout.split(['(', ')']).nth(1).unwrap().to_string();
    assert_eq!(two.stdout, format!("![c]({url})\n"));
}

#[test]
fn lost_manifest_costs_requests_not_duplicates() {
    let s3 = S3Server::start();
    let f = fixture();
    let cold = f.post(&s3);
    let cold = cold.success().to_string();
    std::fs::remove_file(f.site.path("r2filter-manifest.json")).unwrap();
    s3.forget_requests();
    let again = f.post(&s3);
    assert_eq!(again.success(), cold);
    // Each conditional PUT is refused (412: nothing stored twice), then a HEAD
    // confirms the bytes.
    assert!(s3.stored_puts().values().all(|&n| n == 1));
    assert_eq!(s3.count("HEAD"), 5);
    again.stderr_eq(str![[r#"
r2filter: 11 references in 1 document: 0 uploaded (0 B), 0 from manifest, 5 already in bucket, 2 remote skipped in [ELAPSED]

"#]]);
    assert_eq!(
        f.site.manifest().unwrap()["objects"]
            .as_object()
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn wrong_secret_fails_with_the_r2_hint_and_never_prints_the_secret() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("a.png", 1);
    let wrong = "this-is-the-wrong-secret-0123456789";
    let out = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .credentials(ACCESS_KEY, wrong)
        .stdin("Look: ![a](a.png)\n")
        .run();
    let err = out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:12: uploading a.png: PUT [YEAR_MONTH]38a5fe0b9c70.png: HTTP 403 SignatureDoesNotMatch
  |
1 | Look: ![a](a.png)
  |            ^^^^^
  = hint: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); for R2 the region must be `auto`

"#]]);
    assert!(!err.contains(wrong) && !err.contains(SECRET_KEY), "{err}");
    assert!(site.manifest().is_none(), "nothing recorded");
    assert!(s3.keys().is_empty());
}

#[test]
fn unreachable_endpoint_is_a_clear_error() {
    let site = Site::new();
    site.image("a.png", 1);
    let dead = closed_port_endpoint();
    let out = site
        .r2filter()
        .endpoint(&dead)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .args(["--config", "none.toml"])
        .stdin("![a](a.png)\n")
        .run();
    // An explicit config file that does not exist is a configuration error.
    out.failure(2);
    out.stderr_eq(str![[r#"
error: cannot read [ROOT]/none.toml: No such file or directory (os error 2)
  = hint: check the path and its permissions

"#]]);
    let out = site
        .r2filter()
        .endpoint(&dead)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .stdin("![a](a.png)\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: uploading a.png: cannot reach the store at [ENDPOINT]: dispatch failure: io error: client error (Connect): tcp connect error: Connection refused (os error 111)
  |
1 | ![a](a.png)
  |      ^^^^^
  = hint: check `endpoint` (or `account-id`) and the network; a run with every image in the manifest needs no network

"#]]);
    assert!(site.manifest().is_none());
}

#[test]
fn missing_credentials_are_explained() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("a.png", 1);
    let out = site
        .r2filter()
        .endpoint(&s3.endpoint)
        .stdin("![a](a.png)\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:6: uploading a.png: no usable AWS credentials: dispatch failure: other: the credential provider was not enabled: no credentials found in chain. Attempted:
  Environment: the credential provider was not enabled: environment variable not set
  Profile: the credential provider was not enabled
  WebIdentityToken: the credential provider was not enabled: $AWS_WEB_IDENTITY_TOKEN_FILE was not set
  EcsContainer: the credential provider was not enabled: ECS provider not configured
  Ec2InstanceMetadata: the credential provider was not enabled: IMDS disabled by AWS_EC2_METADATA_DISABLED env var set to `true`
  |
1 | ![a](a.png)
  |      ^^^^^
  = hint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); runs with every image in the manifest need none

"#]]);
    assert_eq!(s3.requests().len(), 0);
}

#[test]
fn bad_references_fail_before_any_upload() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("img/Shot.png", 1);
    site.write("img/notes.png", "just text, not an image");
    std::fs::write(site.dir.path().join("secret.png"), png(2)).unwrap();
    let doc = "# Post\n\n![ok](img/Shot.png)\n![missing](img/shot.png)\n![text](img/notes.png)\n![escape](../secret.png) ![enc](%2e%2e/secret.png)\n";
    let out = site.r2filter().against(&s3).stdin(doc).run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:4:12: image file not found: "img/shot.png" (looked for img/shot.png)
  |
4 | ![missing](img/shot.png)
  |            ^^^^^^^^^^^^
  = hint: did you mean "Shot.png"?
error: <stdin>:6:11: image path "../secret.png" leaves the root folder [ROOT]
  |
6 | ![escape](../secret.png) ![enc](%2e%2e/secret.png)
  |           ^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`
error: <stdin>:6:33: image path "../secret.png" leaves the root folder [ROOT]
  |
6 | ![escape](../secret.png) ![enc](%2e%2e/secret.png)
  |                                 ^^^^^^^^^^^^^^^^^
  = hint: only files inside the root can be published; move the image inside it or set --root / `root`
error: 3 references failed; nothing was written

"#]]);
    // Resolution fails first, so the non-image is not even read yet.
    assert_eq!(s3.requests().len(), 0);
    assert!(site.manifest().is_none());

    let out = site
        .r2filter()
        .against(&s3)
        .stdin("![text](img/notes.png)\n")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin>:1:9: img/notes.png is not an image (its bytes are not PNG, JPEG, GIF, WebP, AVIF, SVG, ICO, BMP or TIFF)
  |
1 | ![text](img/notes.png)
  |         ^^^^^^^^^^^^^
  = hint: only images are published: fix the reference, or replace the file with a real image

"#]]);
    assert_eq!(s3.requests().len(), 0);
}

#[test]
fn on_missing_warn_keeps_the_link() {
    let s3 = S3Server::start();
    let site = Site::new();
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--on-missing", "warn"])
        .stdin("![a](gone.png)\n")
        .run();
    assert_eq!(out.success(), "![a](gone.png)\n");
    out.stderr_eq(str![[r#"
 WARN <stdin>:1:6: image file not found: "gone.png" (looked for gone.png); kept as written
r2filter: 1 reference in 1 document: 0 uploaded (0 B), 0 from manifest, 0 already in bucket, 0 remote skipped, 1 missing kept in [ELAPSED]

"#]]);
}

#[test]
fn corrupt_manifest_is_an_error_and_left_alone() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("a.png", 1);
    site.write("r2filter-manifest.json", "{\n<<<<<<< HEAD\n");
    let out = site.r2filter().against(&s3).stdin("![a](a.png)\n").run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: manifest [ROOT]/r2filter-manifest.json is not valid: line 2 column 1: key must be a string
  = hint: it was left as it is: fix it (git checkout it, or resolve the merge conflict), or delete it to rebuild it from the bucket

"#]]);
    assert_eq!(site.read("r2filter-manifest.json"), "{\n<<<<<<< HEAD\n");
    assert_eq!(s3.requests().len(), 0);
}

#[test]
fn manifest_for_another_destination_is_refused() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("a.png", 1);
    site.r2filter()
        .against(&s3)
        .stdin("![a](a.png)\n")
        .run()
        .success();
    let out = site
        .r2filter()
        .against(&s3)
        .args(["--public-url", "https://other.example.com"])
        .stdin("![a](a.png)\n")
        .run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: manifest [ROOT]/r2filter-manifest.json was made for bucket test-bucket at [ENDPOINT], served from https://assets.example.com, but this run publishes to bucket test-bucket at [ENDPOINT], served from https://other.example.com
  = hint: pass --manifest with another file for this destination, or delete the manifest to start over

"#]]);
}

#[test]
fn config_file_env_and_flags_layer() {
    let s3 = S3Server::start();
    let site = Site::new();
    let bytes = site.image("a.png", 1);
    site.write(
        "r2filter.toml",
        format!("bucket = \"{BUCKET}\"\nendpoint = \"{}\"\npublic-url = \"https://from-file.example.com\"\nkey-template = \"{{hash}}.{{ext}}\"\nprefix = \"file\"\n", s3.endpoint),
    );
    let run = || {
        site.r2filter()
            .credentials(ACCESS_KEY, SECRET_KEY)
            .stdin("![a](a.png)\n")
    };
    let hash = sha256_hex(&bytes);
    // File only.
    assert_eq!(
        run().run().success(),
        format!("![a](https://from-file.example.com/file/{hash}.png)\n")
    );
    // Environment beats the file; a flag beats the environment.
    std::fs::remove_file(site.path("r2filter-manifest.json")).unwrap();
    let out = run()
        .env("R2FILTER_PUBLIC_URL", "https://from-env.example.com")
        .env("R2FILTER_PREFIX", "env")
        .run();
    assert_eq!(
        out.success(),
        format!("![a](https://from-env.example.com/env/{hash}.png)\n")
    );
    std::fs::remove_file(site.path("r2filter-manifest.json")).unwrap();
    let out = run()
        .env("R2FILTER_PUBLIC_URL", "https://from-env.example.com")
        .args([
            "--public-url",
            "https://from-flag.example.com",
            "--prefix",
            "flag",
        ])
        .run();
    assert_eq!(
        out.success(),
        format!("![a](https://from-flag.example.com/flag/{hash}.png)\n")
    );
}

#[test]
fn secrets_in_config_files_are_refused() {
    let site = Site::new();
    site.write(
        "r2filter.toml",
        "bucket = \"b-b-b\"\nsecret_access_key = \"hunter2-hunter2\"\n",
    );
    let out = site.r2filter().stdin("x\n").run();
    let err = out.failure(2);
    out.stderr_eq(str![[r#"
error: [ROOT]/r2filter.toml: `secret_access_key` looks like a credential, and credentials are never read from config files
  = hint: remove it, and provide credentials as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or an AWS profile

"#]]);
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn local_store_needs_no_account() {
    let site = Site::new();
    let bytes = site.image("img/a.png", 1);
    let out = site
        .r2filter()
        .args(["--local-store", "bucket", "--public-url", PUBLIC_URL])
        .args(FLAT)
        .stdin("![a](img/a.png)\n")
        .run();
    assert_eq!(out.success(), format!("![a]({})\n", url_of(&bytes, "png")));
    assert_eq!(
        std::fs::read(site.path(&format!("bucket/{}.png", sha256_hex(&bytes)))).unwrap(),
        bytes
    );
    assert_eq!(site.manifest().unwrap()["destination"]["store"], "local");
}

#[test]
fn usage_errors_exit_2() {
    let site = Site::new();
    let out = site.r2filter().arg("--no-such-flag").run();
    out.failure(2);
    let out = site.r2filter().stdin("x").run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: no bucket configured
  = hint: set --bucket (or R2FILTER_BUCKET), or use --local-store DIR to try it without an account

"#]]);
}

#[test]
fn invalid_utf8_input_is_refused() {
    let site = Site::new();
    let out = site
        .r2filter()
        .args(["--local-store", "b"])
        .stdin(b"ok\n\xff\xfe")
        .run();
    out.failure(1);
    out.stderr_eq(str![[r#"
error: <stdin> is not UTF-8 text (byte 3)
  = hint: save the document as UTF-8

"#]]);
}
