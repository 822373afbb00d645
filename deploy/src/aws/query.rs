//! A small signed-HTTP client for the few reads (and one upload) that do not
//! justify a whole SDK crate: EC2 `DescribeVpcs`/`DescribeSubnets`/
//! `DescribeSecurityGroups`, ELBv2 `DescribeLoadBalancers`/`DescribeListeners`/
//! `DescribeRules`, IAM `GetRole` (all the AWS Query protocol: a form POST, an
//! XML answer) and S3 `PutObject`/`HeadBucket` for the template staging bucket.
//!
//! Why not the SDK crates: `aws-sdk-ec2` alone takes 359 s and 8.4 GB of memory
//! to compile on the project's 2-core machine, for three calls; ELBv2, IAM and
//! S3 would add minutes more. Requests are signed with the SDK's own SigV4
//! signer (`aws-sigv4`) using the credentials `aws-config` resolved, and sent
//! with the same hyper/rustls stack the SDK uses, so credentials, endpoints
//! (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`) and TLS behave the same.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

use crate::Error;

type HttpClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// An AWS service reached through [`Signed`]: its signing name, the
/// `AWS_ENDPOINT_URL_<SERVICE>` suffix, its Query API version and endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Ec2,
    Elbv2,
    Iam,
    S3,
}

impl Service {
    fn signing_name(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Elbv2 => "elasticloadbalancing",
            Service::Iam => "iam",
            Service::S3 => "s3",
        }
    }
    fn env_suffix(self) -> &'static str {
        match self {
            Service::Ec2 => "EC2",
            Service::Elbv2 => "ELASTIC_LOAD_BALANCING_V2",
            Service::Iam => "IAM",
            Service::S3 => "S3",
        }
    }
    fn api_version(self) -> &'static str {
        match self {
            Service::Ec2 => "2016-11-15",
            Service::Elbv2 => "2015-12-01",
            Service::Iam => "2010-05-08",
            Service::S3 => "",
        }
    }
    /// The public endpoint (IAM is global and signs in us-east-1).
    fn default_endpoint(self, region: &str) -> String {
        match self {
            Service::Ec2 => format!("https://ec2.{region}.amazonaws.com"),
            Service::Elbv2 => format!("https://elasticloadbalancing.{region}.amazonaws.com"),
            Service::Iam => "https://iam.amazonaws.com".into(),
            Service::S3 => format!("https://s3.{region}.amazonaws.com"),
        }
    }
}

/// Signs and sends requests with the resolved credentials and region.
#[derive(Clone)]
pub struct Signed {
    client: HttpClient,
    credentials: aws_credential_types::provider::SharedCredentialsProvider,
    region: String,
    /// `AWS_ENDPOINT_URL` (or the config's endpoint), for every service without its own.
    endpoint: Option<String>,
}

impl Signed {
    pub fn new(config: &aws_config::SdkConfig, region: &str) -> Result<Signed, Error> {
        let credentials = config
            .credentials_provider()
            .ok_or_else(|| Error::new("no AWS credentials provider is configured"))?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| Error::new(format!("cannot load the system's TLS root certificates: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(https);
        Ok(Signed {
            client,
            credentials,
            region: region.to_string(),
            endpoint: config.endpoint_url().map(str::to_string),
        })
    }

    /// Where `service` is reached: `AWS_ENDPOINT_URL_<SERVICE>`, else the
    /// shared endpoint, else the public one.
    pub fn endpoint(&self, service: Service) -> String {
        std::env::var(format!("AWS_ENDPOINT_URL_{}", service.env_suffix()))
            .ok()
            .filter(|e| !e.is_empty())
            .or_else(|| self.endpoint.clone())
            .unwrap_or_else(|| service.default_endpoint(&self.region))
            .trim_end_matches('/')
            .to_string()
    }

    fn signing_region(&self, service: Service) -> &str {
        match service {
            Service::Iam => "us-east-1",
            _ => &self.region,
        }
    }

    /// Sends one signed request; returns the status and body.
    async fn send(
        &self,
        service: Service,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), Error> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| Error::new(format!("no AWS credentials: {}", crate::aws::error_text(&e))))?;
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        if service == Service::S3 {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.signing_region(service))
            .name(service.signing_name())
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| Error::new(format!("cannot sign a request: {e}")))?
            .into();
        let signable = SignableRequest::new(method, url, headers.iter().copied(), SignableBody::Bytes(&body))
            .map_err(|e| Error::new(format!("cannot sign a request to {url}: {e}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| Error::new(format!("cannot sign a request to {url}: {e}")))?
            .into_parts();
        let mut request = hyper::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let mut request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Error::new(format!("bad request to {url}: {e}")))?;
        instructions.apply_to_request_http1x(&mut request);
        let response = tokio::time::timeout(Duration::from_secs(60), self.client.request(request))
            .await
            .map_err(|_| Error::new(format!("{url} did not answer within 60 s")))?
            .map_err(|e| Error::new(format!("cannot reach {url}: {}", crate::aws::error_text(&e))))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::new(format!("reading the answer of {url}: {e}")))?
            .to_bytes()
            .to_vec();
        Ok((status, body))
    }

    /// Calls a Query-protocol `action` with `params`; returns the XML answer,
    /// or the service's error code and message.
    pub async fn query(&self, service: Service, action: &str, params: &[(String, String)]) -> Result<String, Error> {
        let mut form = form_urlencode(&[("Action", action), ("Version", service.api_version())]);
        for (k, v) in params {
            form.push('&');
            form.push_str(&form_urlencode(&[(k, v)]));
        }
        let url = format!("{}/", self.endpoint(service));
        let (status, body) = self
            .send(
                service,
                "POST",
                &url,
                &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")],
                form.into_bytes(),
            )
            .await?;
        let text = String::from_utf8_lossy(&body).into_owned();
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(service_error(service, action, status, &text))
        }
    }

    /// The S3 URL of an object, path-style against a custom endpoint.
    fn object_url(&self, bucket: &str, key: &str) -> String {
        format!("{}/{bucket}/{key}", self.endpoint(Service::S3))
    }

    /// Uploads `body` to `s3://bucket/key`.
    pub async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), Error> {
        let url = self.object_url(bucket, key);
        let (status, answer) = self
            .send(Service::S3, "PUT", &url, &[("content-type", "application/json")], body)
            .await?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(service_error(
                Service::S3,
                "PutObject",
                status,
                &String::from_utf8_lossy(&answer),
            ))
        }
    }

    /// Whether the bucket exists and is reachable with these credentials
    /// (`HeadBucket`: 200 yes, 404 no, anything else an error).
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool, Error> {
        let url = format!("{}/{bucket}", self.endpoint(Service::S3));
        let (status, _) = self.send(Service::S3, "HEAD", &url, &[], Vec::new()).await?;
        match status {
            200..=299 => Ok(true),
            404 => Ok(false),
            403 => Err(Error::new(format!(
                "s3://{bucket} exists but these credentials may not use it (403)"
            ))),
            other => Err(Error::new(format!("HeadBucket s3://{bucket} answered HTTP {other}"))),
        }
    }
}

/// An AWS error answer (`<Error><Code>…</Code><Message>…</Message>`, as Query
/// services and S3 write it) as an [`Error`] naming the call.
fn service_error(service: Service, action: &str, status: u16, body: &str) -> Error {
    let doc = roxmltree::Document::parse(body).ok();
    let text = |name: &str| {
        doc.as_ref()
            .and_then(|d| d.descendants().find(|n| n.has_tag_name(name)))
            .and_then(|n| n.text())
            .map(str::to_string)
    };
    let code = text("Code").unwrap_or_else(|| format!("HTTP {status}"));
    let message = text("Message").unwrap_or_default();
    Error::new(format!("{} {action}: {code}: {message}", service.signing_name())).with_code(code)
}

/// `application/x-www-form-urlencoded` pairs (RFC 3986 unreserved kept).
fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Reading Query-protocol XML answers.
pub mod xml {
    /// The `<item>`/`<member>` entries of the first element named `list`.
    pub fn items<'a, 'i>(doc: &'a roxmltree::Document<'i>, list: &str) -> Vec<roxmltree::Node<'a, 'i>> {
        doc.descendants()
            .find(|n| n.has_tag_name(list))
            .map(|l| {
                l.children()
                    .filter(|c| c.has_tag_name("item") || c.has_tag_name("member"))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The text of `node`'s direct child `name`.
    pub fn child(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
        node.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .map(|t| t.trim().to_string())
    }

    /// The text of the first element named `name` anywhere in the document.
    pub fn first(doc: &roxmltree::Document<'_>, name: &str) -> Option<String> {
        doc.descendants()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    /// `key=value` tags of an EC2 `<tagSet>` under `node`.
    pub fn tags(node: roxmltree::Node<'_, '_>) -> Vec<(String, String)> {
        node.children()
            .find(|c| c.has_tag_name("tagSet"))
            .map(|set| {
                set.children()
                    .filter(|c| c.has_tag_name("item"))
                    .filter_map(|i| Some((child(i, "key")?, child(i, "value").unwrap_or_default())))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn parse(text: &str) -> Result<roxmltree::Document<'_>, crate::Error> {
        roxmltree::Document::parse(text).map_err(|e| crate::Error::new(format!("unreadable XML answer: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_everything_but_unreserved_characters() {
        assert_eq!(
            form_urlencode(&[("Filter.1.Value.1", "a b/c=d&e~")]),
            "Filter.1.Value.1=a%20b%2Fc%3Dd%26e~"
        );
    }

    #[test]
    fn error_answers_name_the_call_code_and_message() {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code><Message>One or more load balancers not found</Message></Error></ErrorResponse>";
        let e = service_error(Service::Elbv2, "DescribeLoadBalancers", 400, body);
        assert_eq!(
            e.to_string(),
            "elasticloadbalancing DescribeLoadBalancers: LoadBalancerNotFound: One or more load balancers not found"
        );
        assert_eq!(e.code(), Some("LoadBalancerNotFound"));
        let ec2 = "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>nope</Message></Error></Errors></Response>";
        assert_eq!(
            service_error(Service::Ec2, "DescribeVpcs", 400, ec2).to_string(),
            "ec2 DescribeVpcs: InvalidVpcID.NotFound: nope"
        );
    }
}
