//! Entity tags on public records, as CCF's logging app has them: the `ETag` of a record is the
//! lowercase hex SHA-256 of its message (sent unquoted, as CCF does), and `If-Match` /
//! `If-None-Match` take `*` or a list of quoted strong tags (`ccf::http::Matcher`). Private
//! records have no tags in CCF, so none here either.

use std::collections::BTreeSet;

use http::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use http::{HeaderName, HeaderValue};
use quorate_crypto::sha256;
use quorate_node::frontend::{EndpointRequest, EndpointResponse};

use crate::responses;

/// The `ETag` of a record holding `msg`.
pub fn etag(msg: &str) -> String {
    hex::encode(sha256(msg.as_bytes()))
}

/// `response` with the `ETag` of `msg` (hex digits, so always a valid header value).
pub fn with_etag(response: EndpointResponse, msg: &str) -> EndpointResponse {
    match HeaderValue::try_from(etag(msg)) {
        Ok(value) => response.with_header(ETAG, value),
        Err(_) => response,
    }
}

/// One parsed `If-Match` or `If-None-Match` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matcher {
    any: bool,
    etags: BTreeSet<String>,
}

impl Matcher {
    /// `*`, or one or more `"<lowercase hex>"` each optionally followed by a comma and white
    /// space, covering the whole value (CCF's regex `"([0-9a-f]+)",?\s*`). Weak tags are not
    /// supported, as in CCF.
    pub fn parse(header: &str) -> Option<Matcher> {
        if header == "*" {
            return Some(Matcher {
                any: true,
                etags: BTreeSet::new(),
            });
        }
        let mut etags = BTreeSet::new();
        let mut rest = header;
        while !rest.is_empty() {
            let quoted = rest.strip_prefix('"')?;
            let tag_len = quoted
                .bytes()
                .take_while(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
                .count();
            if tag_len == 0 {
                return None;
            }
            let (tag, after) = quoted.split_at(tag_len);
            let after = after.strip_prefix('"')?;
            let after = after.strip_prefix(',').unwrap_or(after);
            rest = after.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
            etags.insert(tag.to_owned());
        }
        (!etags.is_empty()).then_some(Matcher { any: false, etags })
    }

    /// Whether `etag` satisfies the header.
    pub fn matches(&self, etag: &str) -> bool {
        self.any || self.etags.contains(etag)
    }
}

/// What the conditional headers say about a request on an existing record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// Go ahead.
    Holds,
    /// `If-Match` did not match: 412.
    Failed,
    /// `If-None-Match` matched: 412 on a POST, 304 on a GET or DELETE.
    NoneMatched,
}

/// A request's `If-Match` and `If-None-Match` headers, unparsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchHeaders {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
}

impl MatchHeaders {
    pub fn from_request(request: &EndpointRequest) -> MatchHeaders {
        let header = |name: HeaderName| {
            request
                .headers
                .get(name)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        };
        MatchHeaders {
            if_match: header(IF_MATCH),
            if_none_match: header(IF_NONE_MATCH),
        }
    }

    /// Both headers at once, which CCF refuses.
    pub fn conflict(&self) -> bool {
        self.if_match.is_some() && self.if_none_match.is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.if_match.is_none() && self.if_none_match.is_none()
    }

    /// CCF's 400 for [`MatchHeaders::conflict`], or nothing.
    pub fn refuse_conflict(&self) -> Result<(), EndpointResponse> {
        if self.conflict() {
            return Err(responses::invalid_header(
                "Cannot have both If-Match and If-None-Match headers.",
            ));
        }
        Ok(())
    }

    /// Evaluates the headers against the current record's tag, `If-Match` first as in CCF.
    /// A malformed header is 400 `InvalidHeaderValue` with CCF's text (CCF itself throws and
    /// answers 500, which blames the service for the client's header).
    pub fn evaluate(&self, current_etag: &str) -> Result<Precondition, EndpointResponse> {
        if let Some(header) = &self.if_match
            && !parse_header(header)?.matches(current_etag)
        {
            return Ok(Precondition::Failed);
        }
        if let Some(header) = &self.if_none_match
            && parse_header(header)?.matches(current_etag)
        {
            return Ok(Precondition::NoneMatched);
        }
        Ok(Precondition::Holds)
    }
}

fn parse_header(header: &str) -> Result<Matcher, EndpointResponse> {
    Matcher::parse(header).ok_or_else(|| responses::invalid_header("Invalid If-Match header"))
}
