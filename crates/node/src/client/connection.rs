//! One keep-alive HTTP connection to a node over TLS. Requests on a connection are sequential
//! (`&mut self`); a load generator wanting concurrency opens several connections, or one HTTP/2
//! connection per task.

use std::net::SocketAddr;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Method, Request, Uri, Version};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

use super::error::ClientError;
use super::options::{ClientOptions, HttpProtocol};
use super::response::ClientResponse;
use super::tls::ClientTls;

const APPLICATION_JSON: &str = "application/json";

/// A connection to one node; dropping it closes the connection.
pub struct Connection {
    sender: Sender,
    peer: SocketAddr,
    authority: Authority,
    options: ClientOptions,
    /// Runs hyper's connection state machine; aborted on drop so the socket closes at once.
    driver: JoinHandle<()>,
}

enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .field("protocol", &self.options.protocol)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl Connection {
    /// Opens a connection to `peer` (TCP with `TCP_NODELAY`, TLS, HTTP handshake), within
    /// `tls.options().timeout`.
    pub async fn connect(tls: &ClientTls, peer: SocketAddr) -> Result<Connection, ClientError> {
        let options = *tls.options();
        tokio::time::timeout(options.timeout, open(tls, peer, options))
            .await
            .map_err(|_| ClientError::Timeout)?
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    pub fn protocol(&self) -> HttpProtocol {
        self.options.protocol
    }

    /// Whether the connection can no longer carry requests (the server closed it, or an earlier
    /// request left HTTP/1.1 framing in an unknown state). Callers reconnect.
    pub fn is_closed(&self) -> bool {
        match &self.sender {
            Sender::Http1(sender) => sender.is_closed(),
            Sender::Http2(sender) => sender.is_closed(),
        }
    }

    /// Sends one request and reads the whole response, within the options' timeout. `headers`
    /// are added as given; HTTP/1.1 gets a `host` header unless one is among them.
    pub async fn request(
        &mut self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<ClientResponse, ClientError> {
        let request = self.build(method, path_and_query, headers, body)?;
        let outcome = tokio::time::timeout(self.options.timeout, self.exchange(request)).await;
        let result = outcome.unwrap_or(Err(ClientError::Timeout));
        if result.is_err() && self.options.protocol == HttpProtocol::Http1 {
            // An HTTP/1.1 response abandoned midway would be read as the next one's.
            self.driver.abort();
        }
        result
    }

    pub async fn get(&mut self, path_and_query: &str) -> Result<ClientResponse, ClientError> {
        self.request(Method::GET, path_and_query, &[], Bytes::new())
            .await
    }

    /// POSTs `body` serialised, as `application/json`.
    pub async fn post_json(
        &mut self,
        path_and_query: &str,
        body: &serde_json::Value,
    ) -> Result<ClientResponse, ClientError> {
        let headers = [(CONTENT_TYPE.as_str(), APPLICATION_JSON)];
        let body = Bytes::from(body.to_string());
        self.request(Method::POST, path_and_query, &headers, body)
            .await
    }

    pub async fn delete(&mut self, path_and_query: &str) -> Result<ClientResponse, ClientError> {
        self.request(Method::DELETE, path_and_query, &[], Bytes::new())
            .await
    }

    fn build(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, ClientError> {
        if !path_and_query.starts_with('/') {
            return Err(ClientError::InvalidRequest(format!(
                "the path {path_and_query:?} does not start with '/'"
            )));
        }
        let path = PathAndQuery::try_from(path_and_query).map_err(|error| {
            ClientError::InvalidRequest(format!("the path {path_and_query:?}: {error}"))
        })?;
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        match self.options.protocol {
            HttpProtocol::Http1 => *request.uri_mut() = Uri::from(path),
            HttpProtocol::Http2 => {
                // HTTP/2 carries the authority in the request target instead of `host`.
                *request.version_mut() = Version::HTTP_2;
                *request.uri_mut() = Uri::builder()
                    .scheme(Scheme::HTTPS)
                    .authority(self.authority.clone())
                    .path_and_query(path)
                    .build()
                    .map_err(|error| ClientError::InvalidRequest(error.to_string()))?;
            }
        }
        let map = request.headers_mut();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ClientError::InvalidRequest(format!("{name:?} is not a header name"))
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                ClientError::InvalidRequest(format!("the value of {name} is not a header value"))
            })?;
            map.append(name, value);
        }
        if self.options.protocol == HttpProtocol::Http1 && !map.contains_key(HOST) {
            let host = HeaderValue::from_str(self.authority.as_str())
                .map_err(|error| ClientError::InvalidRequest(error.to_string()))?;
            map.insert(HOST, host);
        }
        Ok(request)
    }

    async fn exchange(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<ClientResponse, ClientError> {
        let sent = match &mut self.sender {
            Sender::Http1(sender) => {
                sender
                    .ready()
                    .await
                    .map_err(|error| ClientError::http(&error))?;
                sender.send_request(request).await
            }
            Sender::Http2(sender) => {
                sender
                    .ready()
                    .await
                    .map_err(|error| ClientError::http(&error))?;
                sender.send_request(request).await
            }
        };
        let response = sent.map_err(|error| ClientError::http(&error))?;
        let (parts, body) = response.into_parts();
        let limit = self.options.max_response_body_bytes;
        let body = Limited::new(body, limit)
            .collect()
            .await
            .map_err(|error| {
                if error.is::<LengthLimitError>() {
                    ClientError::InvalidResponse(format!("the body exceeds {limit} bytes"))
                } else {
                    ClientError::http(&*error)
                }
            })?
            .to_bytes();
        Ok(ClientResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

async fn open(
    tls: &ClientTls,
    peer: SocketAddr,
    options: ClientOptions,
) -> Result<Connection, ClientError> {
    let authority = Authority::try_from(peer.to_string())
        .map_err(|error| ClientError::InvalidRequest(error.to_string()))?;
    let tcp = TcpStream::connect(peer)
        .await
        .map_err(ClientError::Connect)?;
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%peer, %error, "cannot set TCP_NODELAY");
    }
    // No SNI is sent for an IP address, and the verifier ignores names anyway.
    let stream = TlsConnector::from(tls.rustls_config(options.protocol))
        .connect(ServerName::from(peer.ip()), tcp)
        .await
        .map_err(ClientError::handshake)?;
    let io = TokioIo::new(stream);
    let (sender, driver) = match options.protocol {
        HttpProtocol::Http1 => {
            let (sender, connection) = http1::handshake(io)
                .await
                .map_err(|error| ClientError::http(&error))?;
            (Sender::Http1(sender), tokio::spawn(drive(peer, connection)))
        }
        HttpProtocol::Http2 => {
            if io.inner().get_ref().1.alpn_protocol() != Some(b"h2") {
                return Err(ClientError::InvalidResponse(
                    "the server did not agree to HTTP/2 with ALPN".into(),
                ));
            }
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|error| ClientError::http(&error))?;
            (Sender::Http2(sender), tokio::spawn(drive(peer, connection)))
        }
    };
    Ok(Connection {
        sender,
        peer,
        authority,
        options,
        driver,
    })
}

async fn drive<E: std::fmt::Display>(
    peer: SocketAddr,
    connection: impl Future<Output = Result<(), E>>,
) {
    if let Err(error) = connection.await {
        tracing::debug!(%peer, %error, "client connection ended with an error");
    }
}

/// Connects, sends one request, reads the response and closes: for pollers probing nodes that
/// may be down or restarting, where a kept connection would only go stale. A non-empty `body` is
/// sent as `application/json`, as CCF's Python client does by default.
pub async fn request_once(
    tls: &ClientTls,
    peer: SocketAddr,
    method: Method,
    path_and_query: &str,
    body: Bytes,
) -> Result<ClientResponse, ClientError> {
    let mut connection = Connection::connect(tls, peer).await?;
    let json = [(CONTENT_TYPE.as_str(), APPLICATION_JSON)];
    let headers: &[(&str, &str)] = if body.is_empty() { &[] } else { &json };
    connection
        .request(method, path_and_query, headers, body)
        .await
}
