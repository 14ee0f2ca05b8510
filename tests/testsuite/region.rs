//! Which region requests are signed for: `auto` with an endpoint (R2,
//! MinIO, …); without one (AWS S3) the AWS chain's: `AWS_REGION`, then
//! `AWS_DEFAULT_REGION`, then the profile's; and, when none is set, an error
//! naming them before any request. The chain runs are sent to the real S3
//! server on loopback through the SDK's own `AWS_ENDPOINT_URL` (r2filter
//! itself is given no endpoint), and the signature's credential scope says
//! which region signed them.

use crate::support::*;

const POST: &str = "![a](img/a.png)\n";

/// The regions of the signatures the server saw (`Credential=KEY/DATE/REGION/s3/…`).
fn signed_regions(s3: &S3Server) -> Vec<String> {
    let mut regions: Vec<String> = s3
        .requests()
        .iter()
        .filter_map(|r| r.headers.get("authorization"))
        .filter_map(|auth| {
            let scope = auth.split("Credential=").nth(1)?;
            Some(scope.split('/').nth(2)?.to_string())
        })
        .collect();
    regions.dedup();
    regions
}

/// A run to AWS S3 as r2filter sees it (bucket, no endpoint), sent to the
/// test server by the SDK.
fn aws_s3(site: &Site, s3: &S3Server) -> Run {
    site.r2filter()
        .args(["--bucket", BUCKET, "--public-url", PUBLIC_URL])
        .env("AWS_ENDPOINT_URL", &s3.endpoint)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .stdin(POST)
}

#[test]
fn with_an_endpoint_the_region_is_auto() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("img/a.png", 1);
    // AWS_REGION is the chain's: with an endpoint it does not count.
    let out = site
        .r2filter()
        .against(&s3)
        .env("AWS_REGION", "eu-west-1")
        .stdin(POST)
        .run();
    out.success();
    assert_eq!(signed_regions(&s3), ["auto"]);
}

#[test]
fn without_an_endpoint_the_region_is_the_aws_chains() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("img/a.png", 1);
    aws_s3(&site, &s3)
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_DEFAULT_REGION", "us-west-2")
        .run()
        .success();
    assert_eq!(signed_regions(&s3), ["eu-west-1"], "AWS_REGION first");

    let (s3, site) = (S3Server::start(), Site::new());
    site.image("img/a.png", 1);
    aws_s3(&site, &s3)
        .env("AWS_DEFAULT_REGION", "us-west-2")
        .run()
        .success();
    assert_eq!(
        signed_regions(&s3),
        ["us-west-2"],
        "then AWS_DEFAULT_REGION"
    );

    // Then the profile's: AWS_PROFILE's section of the config file.
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("img/a.png", 1);
    site.write(
        "aws-config",
        "[default]\nregion = us-east-2\n\n[profile blog]\nregion = ap-south-1\n",
    );
    aws_s3(&site, &s3)
        .env("AWS_CONFIG_FILE", site.path("aws-config"))
        .env("AWS_PROFILE", "blog")
        .run()
        .success();
    assert_eq!(signed_regions(&s3), ["ap-south-1"], "then the profile's");

    // And --region wins over all of them.
    let (s3, site) = (S3Server::start(), Site::new());
    site.image("img/a.png", 1);
    aws_s3(&site, &s3)
        .args(["--region", "eu-north-1"])
        .env("AWS_REGION", "eu-west-1")
        .run()
        .success();
    assert_eq!(signed_regions(&s3), ["eu-north-1"]);
}

#[test]
fn without_an_endpoint_or_a_region_the_error_names_where_one_comes_from() {
    let s3 = S3Server::start();
    let site = Site::new();
    site.image("img/a.png", 1);
    // Empty environment and AWS files (the harness's): no region anywhere.
    let out = aws_s3(&site, &s3).run();
    out.failure(2);
    out.stderr_eq(str![[r#"
error: no region to sign requests for AWS S3 with (no endpoint is set, and AWS_REGION, AWS_DEFAULT_REGION and the AWS profile name none)
  = hint: set the bucket's region: --region (or R2FILTER_REGION, or region in r2filter.toml), or AWS_REGION; for R2, MinIO or another store give its endpoint (or account-id) instead: see docs/src/guides/s3-stores.md#aws-s3

"#]]);
    assert_eq!(s3.requests().len(), 0, "nothing was sent");
    assert!(site.manifest().is_none());
}
