//! A client for the OCI distribution API: just what pushing (and reading back)
//! an image takes.
//!
//! - `HEAD /v2/<name>/blobs/<digest>`: a blob already there is not uploaded again.
//! - `POST /v2/<name>/blobs/uploads/`, then `PUT <Location>?digest=<digest>`
//!   with the whole blob (a monolithic upload in two requests). `Location` may
//!   be relative or absolute; credentials are only sent to the registry's own
//!   host.
//! - `HEAD`/`PUT /v2/<name>/manifests/<tag>` with the OCI manifest media type.
//!
//! Authentication follows the registry's challenge: `Basic` with the
//! credentials given, or `Bearer` with a token fetched from the challenge's
//! realm (with the credentials, if any, as Basic auth), as Docker does.
//!
//! Retry-safe by construction: blobs are content-addressed and a tag exists only
//! once its manifest is put, which happens after every blob it names is in
//! place. An interrupted push leaves at most unreferenced blobs or an open
//! upload session, and the next push completes it.

use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;

use crate::image::Blob;

/// How long connecting may take before the registry counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request (a whole blob upload included) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// A user name and password (or token) for a registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <hidden>)", self.username)
    }
}

impl Credentials {
    fn basic(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }
}

/// What went wrong talking to a registry.
#[derive(Debug)]
pub enum RegistryError {
    /// Nothing answered, or the connection broke.
    Unreachable { endpoint: String, detail: String },
    /// The connection broke during a request: a push is half done.
    Interrupted {
        endpoint: String,
        during: String,
        detail: String,
    },
    /// Credentials missing or refused.
    AuthRefused { endpoint: String, detail: String },
    /// The repository does not exist (and the registry does not create it on push).
    NoRepository { endpoint: String, repository: String },
    /// Any other answer than the protocol expects.
    Protocol {
        endpoint: String,
        during: String,
        detail: String,
    },
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryError::Unreachable { endpoint, detail } => {
                write!(f, "the registry {endpoint} is unreachable: {detail}")
            }
            RegistryError::Interrupted { endpoint, during, detail } => write!(
                f,
                "the push to {endpoint} was interrupted while {during}: {detail}; no tag was written, so nothing names a partial image. Run publish again to complete it"
            ),
            RegistryError::AuthRefused { endpoint, detail } => {
                write!(f, "the registry {endpoint} refused the credentials: {detail}")
            }
            RegistryError::NoRepository { endpoint, repository } => write!(
                f,
                "the repository {repository} does not exist in the registry {endpoint}; create it first (for the vault: deploy the stack that declares it)"
            ),
            RegistryError::Protocol { endpoint, during, detail } => {
                write!(f, "the registry {endpoint} answered unexpectedly while {during}: {detail}")
            }
        }
    }
}

impl std::error::Error for RegistryError {}

type Connector = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

/// One repository of one registry.
pub struct Repository {
    /// `https://host[:port]` or `http://host[:port]`.
    endpoint: String,
    authority: String,
    name: String,
    credentials: Option<Credentials>,
    client: HyperClient<Connector, Full<Bytes>>,
    /// The `Authorization` header that last worked.
    authorization: Mutex<Option<String>>,
}

/// One request to make: what `request` may repeat after a challenge.
struct Call<'a> {
    method: Method,
    url: &'a str,
    content_type: Option<&'a str>,
    accept: Option<&'a str>,
    body: Bytes,
    /// What the request is for, for error messages ("uploading blob …").
    during: &'a str,
}

impl<'a> Call<'a> {
    fn new(method: Method, url: &'a str, during: &'a str) -> Self {
        Call {
            method,
            url,
            content_type: None,
            accept: None,
            body: Bytes::new(),
            during,
        }
    }
}

/// A response with its body read.
struct Answer {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Repository {
    /// A repository at `endpoint` (`https://host[:port]`, or `http://` for a
    /// plain-HTTP registry on loopback).
    pub fn new(endpoint: &str, name: &str, credentials: Option<Credentials>) -> Result<Self, RegistryError> {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        let uri: Uri = endpoint.parse().map_err(|e| RegistryError::Protocol {
            endpoint: endpoint.clone(),
            during: "reading the endpoint".into(),
            detail: format!("not a URL: {e}"),
        })?;
        let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
        let https = uri.scheme_str() == Some("https");
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.enforce_http(false);
        // The aws-lc-rs provider the AWS SDK already uses. An `https` registry
        // needs the system's roots: finding none is an error here, not a TLS
        // failure on the first request.
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let connector = if https {
            builder
                .with_provider_and_native_roots(provider)
                .map_err(|e| RegistryError::Protocol {
                    endpoint: endpoint.clone(),
                    during: "loading the system's TLS root certificates".into(),
                    detail: e.to_string(),
                })?
                .https_only()
        } else {
            // Plain HTTP (a registry on loopback): nothing is verified.
            builder.with_tls_config(no_roots_config(provider)).https_or_http()
        }
        .enable_http1()
        .wrap_connector(http);
        let client = HyperClient::builder(TokioExecutor::new()).build(connector);
        Ok(Repository {
            endpoint,
            authority,
            name: name.to_string(),
            credentials,
            client,
            authorization: Mutex::new(None),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `host[:port]`: how image references name the registry.
    pub fn host(&self) -> &str {
        &self.authority
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2/{}/{path}", self.endpoint, self.name)
    }

    /// Whether the blob is in the repository.
    pub async fn has_blob(&self, digest: &str) -> Result<bool, RegistryError> {
        let during = format!("checking for blob {digest}");
        let a = self
            .send(
                Method::HEAD,
                &self.url(&format!("blobs/{digest}")),
                None,
                Bytes::new(),
                &during,
            )
            .await?;
        match a.status {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.unexpected(&a, &during)),
        }
    }

    /// Uploads a blob: POST an upload session, PUT the bytes to its location.
    pub async fn upload_blob(&self, blob: &Blob) -> Result<(), RegistryError> {
        let during = format!("starting the upload of blob {}", blob.digest);
        let a = self
            .send(Method::POST, &self.url("blobs/uploads/"), None, Bytes::new(), &during)
            .await?;
        if a.status != StatusCode::ACCEPTED {
            return Err(self.unexpected(&a, &during));
        }
        let location = a
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| self.protocol(&during, "no Location header in the answer".into()))?;
        let mut url = self.resolve(location);
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("digest=");
        url.push_str(&url_encode(&blob.digest));
        let during = format!("uploading blob {} ({} bytes)", blob.digest, blob.size());
        self.put_created(&url, "application/octet-stream", blob.bytes.clone(), &during)
            .await
    }

    /// The digest of the manifest a tag (or digest) names, if any.
    pub async fn manifest_digest(&self, reference: &str) -> Result<Option<String>, RegistryError> {
        let during = format!("checking for manifest {reference}");
        let a = self
            .send_accepting(Method::HEAD, &self.url(&format!("manifests/{reference}")), &during)
            .await?;
        match a.status {
            StatusCode::OK => Ok(a
                .headers
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(self.unexpected(&a, &during)),
        }
    }

    /// Puts the manifest under `tag`: from now on the tag names the image.
    pub async fn put_manifest(&self, tag: &str, manifest: &Blob) -> Result<(), RegistryError> {
        let during = format!("putting manifest {} as {tag}", manifest.digest);
        let url = self.url(&format!("manifests/{tag}"));
        self.put_created(&url, manifest.media_type, manifest.bytes.clone(), &during)
            .await
    }

    /// A `PUT` that must answer `201 Created`.
    async fn put_created(&self, url: &str, content_type: &str, body: Bytes, during: &str) -> Result<(), RegistryError> {
        let a = self.send(Method::PUT, url, Some(content_type), body, during).await?;
        if a.status != StatusCode::CREATED {
            return Err(self.unexpected(&a, during));
        }
        Ok(())
    }

    /// Puts the manifest under `tag` unless the tag already names it;
    /// returns whether it was put. A tag naming another image is an error
    /// (tags are never moved).
    pub async fn tag_manifest(&self, tag: &str, manifest: &Blob) -> Result<bool, RegistryError> {
        match self.manifest_digest(tag).await? {
            Some(d) if d == manifest.digest => Ok(false),
            Some(d) => Err(self.protocol(
                &format!("checking tag {tag}"),
                format!("the tag already names another image ({d}); tags are never moved, so nothing was changed"),
            )),
            None => {
                self.put_manifest(tag, manifest).await?;
                Ok(true)
            }
        }
    }

    /// Reads a manifest back (tests and tools: pull what was pushed).
    pub async fn get_manifest(&self, reference: &str) -> Result<Bytes, RegistryError> {
        let during = format!("reading manifest {reference}");
        let a = self
            .send_accepting(Method::GET, &self.url(&format!("manifests/{reference}")), &during)
            .await?;
        if a.status != StatusCode::OK {
            return Err(self.unexpected(&a, &during));
        }
        Ok(a.body)
    }

    /// Reads a blob back, following the registry's redirect if it sends one.
    pub async fn get_blob(&self, digest: &str) -> Result<Bytes, RegistryError> {
        let during = format!("reading blob {digest}");
        let mut url = self.url(&format!("blobs/{digest}"));
        for _ in 0..3 {
            let a = self.send(Method::GET, &url, None, Bytes::new(), &during).await?;
            match a.status {
                StatusCode::OK => return Ok(a.body),
                s if s.is_redirection() => {
                    let to = a.headers.get(LOCATION).and_then(|v| v.to_str().ok());
                    url = self.resolve(to.ok_or_else(|| self.protocol(&during, "redirect without Location".into()))?);
                }
                _ => return Err(self.unexpected(&a, &during)),
            }
        }
        Err(self.protocol(&during, "too many redirects".into()))
    }

    /// An absolute URL for a `Location` header: absolute ones as they are,
    /// `/path` on this registry, anything else relative to `/v2/`.
    fn resolve(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("{}{location}", self.endpoint)
        } else {
            format!("{}/v2/{location}", self.endpoint)
        }
    }

    async fn send_accepting(&self, method: Method, url: &str, during: &str) -> Result<Answer, RegistryError> {
        let call = Call {
            accept: Some(MANIFEST_ACCEPT),
            ..Call::new(method, url, during)
        };
        self.request(&call).await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        content_type: Option<&str>,
        body: Bytes,
        during: &str,
    ) -> Result<Answer, RegistryError> {
        let call = Call {
            content_type,
            body,
            ..Call::new(method, url, during)
        };
        self.request(&call).await
    }

    /// One request, answering an authentication challenge once.
    async fn request(&self, call: &Call<'_>) -> Result<Answer, RegistryError> {
        let during = call.during;
        let mut challenged = false;
        loop {
            let auth = self.authorization.lock().map(|a| a.clone()).unwrap_or(None);
            let same_host = call
                .url
                .parse::<Uri>()
                .ok()
                .and_then(|u| u.authority().map(|a| a.to_string()))
                .is_some_and(|a| a == self.authority);
            let a = self.exchange(call, auth.as_deref().filter(|_| same_host)).await?;
            if a.status != StatusCode::UNAUTHORIZED {
                if a.status == StatusCode::FORBIDDEN {
                    return Err(RegistryError::AuthRefused {
                        endpoint: self.endpoint.clone(),
                        detail: format!("access denied while {during}: {}", error_detail(&a.body)),
                    });
                }
                return Ok(a);
            }
            if challenged {
                return Err(RegistryError::AuthRefused {
                    endpoint: self.endpoint.clone(),
                    detail: format!("still unauthorized after authenticating: {}", error_detail(&a.body)),
                });
            }
            challenged = true;
            let challenge = a
                .headers
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let header = self.answer_challenge(&challenge).await?;
            if let Ok(mut slot) = self.authorization.lock() {
                *slot = Some(header);
            }
        }
    }

    /// The `Authorization` header for a `WWW-Authenticate` challenge.
    async fn answer_challenge(&self, challenge: &str) -> Result<String, RegistryError> {
        let refused = |detail: String| RegistryError::AuthRefused {
            endpoint: self.endpoint.clone(),
            detail,
        };
        let (scheme, params) = parse_challenge(challenge);
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => match &self.credentials {
                Some(c) => Ok(c.basic()),
                None => Err(refused(
                    "the registry asks for a user name and password and none were given".into(),
                )),
            },
            "bearer" => {
                let realm = params
                    .iter()
                    .find(|(k, _)| k == "realm")
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| refused(format!("a Bearer challenge without a realm: {challenge}")))?;
                let mut query = Vec::new();
                if let Some((_, service)) = params.iter().find(|(k, _)| k == "service") {
                    query.push(format!("service={}", url_encode(service)));
                }
                let scope = params
                    .iter()
                    .find(|(k, _)| k == "scope")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| format!("repository:{}:pull,push", self.name));
                query.push(format!("scope={}", url_encode(&scope)));
                let url = format!(
                    "{realm}{}{}",
                    if realm.contains('?') { '&' } else { '?' },
                    query.join("&")
                );
                let basic = self.credentials.as_ref().map(Credentials::basic);
                let a = self
                    .exchange(&Call::new(Method::GET, &url, "fetching a token"), basic.as_deref())
                    .await?;
                if a.status != StatusCode::OK {
                    return Err(refused(format!(
                        "the token service {realm} answered {}: {}",
                        a.status,
                        error_detail(&a.body)
                    )));
                }
                #[derive(serde::Deserialize)]
                struct Token {
                    token: Option<String>,
                    access_token: Option<String>,
                }
                let t: Token = serde_json::from_slice(&a.body)
                    .map_err(|e| refused(format!("the token service {realm} sent no token: {e}")))?;
                let token = t
                    .token
                    .or(t.access_token)
                    .ok_or_else(|| refused(format!("the token service {realm} sent no token")))?;
                Ok(format!("Bearer {token}"))
            }
            _ => Err(refused(format!(
                "unauthorized, with a challenge this client does not answer: {challenge:?}"
            ))),
        }
    }

    /// Sends one request and reads the whole answer, with timeouts.
    async fn exchange(&self, call: &Call<'_>, authorization: Option<&str>) -> Result<Answer, RegistryError> {
        let Call {
            method,
            url,
            content_type,
            accept,
            body,
            during,
        } = call;
        let (url, during) = (*url, *during);
        let body = body.clone();
        let uploading = !body.is_empty();
        let mut req = Request::builder().method(method.clone()).uri(url);
        if let Some(ct) = content_type {
            req = req.header(CONTENT_TYPE, *ct);
        }
        if let Some(accept) = accept {
            req = req.header(ACCEPT, *accept);
        }
        if let Some(auth) = authorization.and_then(|a| HeaderValue::from_str(a).ok()) {
            req = req.header(AUTHORIZATION, auth);
        }
        if method == Method::POST || method == Method::PUT {
            req = req.header(CONTENT_LENGTH, body.len());
        }
        let req = req
            .body(Full::new(body))
            .map_err(|e| self.protocol(during, format!("cannot build the request for {url}: {e}")))?;
        let io_error = |detail: String, connected: bool| {
            if connected && uploading {
                RegistryError::Interrupted {
                    endpoint: self.endpoint.clone(),
                    during: during.to_string(),
                    detail,
                }
            } else if connected {
                RegistryError::Protocol {
                    endpoint: self.endpoint.clone(),
                    during: during.to_string(),
                    detail: format!("the connection broke: {detail}"),
                }
            } else {
                RegistryError::Unreachable {
                    endpoint: self.endpoint.clone(),
                    detail,
                }
            }
        };
        let exchange = async {
            let response = self.client.request(req).await.map_err(|e| {
                let connected = !e.is_connect();
                io_error(error_chain(&e), connected)
            })?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| io_error(error_chain(&e), true))?
                .to_bytes();
            Ok(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(r) => r,
            Err(_) => Err(io_error(
                format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
                true,
            )),
        }
    }

    fn protocol(&self, during: &str, detail: String) -> RegistryError {
        RegistryError::Protocol {
            endpoint: self.endpoint.clone(),
            during: during.to_string(),
            detail,
        }
    }

    /// An answer the protocol does not expect, with the registry's error code.
    fn unexpected(&self, a: &Answer, during: &str) -> RegistryError {
        if error_codes(&a.body).iter().any(|c| c == "NAME_UNKNOWN") {
            return RegistryError::NoRepository {
                endpoint: self.endpoint.clone(),
                repository: self.name.clone(),
            };
        }
        self.protocol(during, format!("HTTP {}: {}", a.status, error_detail(&a.body)))
    }
}

/// Manifest types this client reads (what it writes, and Docker's).
const MANIFEST_ACCEPT: &str =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// A rustls configuration trusting nothing, for a plain-HTTP endpoint (the
/// connector needs one, but never uses it there).
fn no_roots_config(provider: std::sync::Arc<rustls::crypto::CryptoProvider>) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default protocol versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

/// `Bearer realm="…",service="…"` → ("Bearer", [(realm, …), (service, …)]).
fn parse_challenge(header: &str) -> (String, Vec<(String, String)>) {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied().filter(|c| *c != ',') {
                value.push(c);
                chars.next();
            }
        }
        params.push((key.trim().to_ascii_lowercase(), value));
    }
    (scheme.to_string(), params)
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `code`s of a registry's JSON error body.
fn error_codes(body: &[u8]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorItem>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorItem {
        code: String,
    }
    serde_json::from_slice::<Errors>(body)
        .map(|e| e.errors.into_iter().map(|i| i.code).collect())
        .unwrap_or_default()
}

/// A short, printable account of an error body.
fn error_detail(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(no details)".into()
    } else {
        text.chars().take(300).collect()
    }
}

/// An error and its sources, on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_with_quoted_and_bare_values() {
        let (scheme, params) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(
            params,
            [
                ("realm".to_string(), "https://auth.example/token".to_string()),
                ("service".to_string(), "registry.example".to_string()),
                ("scope".to_string(), "repository:a/b:pull,push".to_string()),
            ]
        );
        let (scheme, params) = parse_challenge("Basic realm=Registry");
        assert_eq!(
            (scheme.as_str(), params),
            ("Basic", vec![("realm".into(), "Registry".into())])
        );
    }

    #[test]
    fn locations_resolve_relative_and_absolute() {
        let r = Repository::new("http://127.0.0.1:5000", "a/b", None).unwrap();
        assert_eq!(
            r.resolve("/v2/a/b/blobs/uploads/1?_state=x"),
            "http://127.0.0.1:5000/v2/a/b/blobs/uploads/1?_state=x"
        );
        assert_eq!(r.resolve("https://other:443/u/1"), "https://other:443/u/1");
        assert_eq!(
            r.resolve("a/b/blobs/uploads/1"),
            "http://127.0.0.1:5000/v2/a/b/blobs/uploads/1"
        );
        assert_eq!(r.host(), "127.0.0.1:5000");
    }

    #[test]
    fn registry_error_codes_are_read() {
        let body = br#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#;
        assert_eq!(error_codes(body), ["NAME_UNKNOWN"]);
        assert!(error_codes(b"<html>").is_empty());
    }
}
