//! Open311 GeoReport v2 at `/open311/v2` (SPEC section 7): an adapter like the JSON API. It
//! reads the GeoReport formats (query strings, form bodies, multipart media), calls the use
//! cases in `tanggap_service::open311`, and writes JSON or XML as the path's extension asks.
//! Errors are the GeoReport `errors` list (`[{"code": 400, "description": "…"}]`) with 400,
//! 403 or 404 (429 when a rate limit is hit, 500 when Tanggap fails), in the language of
//! `Accept-Language` (English unless Indonesian is asked for).
//!
//! Identifiers are strings (the tracking ID is the `service_request_id`); times carry their
//! zone (+07:00); nothing personal leaves: the requests are the public's view of a report.

use crate::AppState;
use crate::auth::ClientIp;
use crate::error::ApiError;
use crate::extract::{JSON_LIMIT, store_files};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Path, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Map, Value, json};
use tanggap_service::open311::{
    self as o311, Open311Query, Open311Request, Open311Service, Open311Submission, Open311Update,
    PostedUpdate,
};
use tanggap_service::{Lang, RefusalKind};

mod form;
pub use form::{attribute_params, list_param, parse_form};

/// Media sent with a request: up to five files of the upload limits.
const MEDIA_LIMIT: usize = crate::api::UPLOAD_LIMIT;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top_get).post(top_post))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
        .layer(DefaultBodyLimit::max(MEDIA_LIMIT))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Json,
    Xml,
}

/// A GeoReport error answer, in the format the path asked for.
struct Failure {
    format: Format,
    status: StatusCode,
    descriptions: Vec<String>,
}

impl Failure {
    fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Self {
        Failure {
            format,
            status,
            descriptions: vec![description.into()],
        }
    }

    /// A use case's refusal in GeoReport terms: invalid input is 400 with one entry per field,
    /// a missing or wrong key 403, an unknown thing 404.
    fn from_api(format: Format, lang: Lang, e: ApiError) -> Self {
        let status = match e.status() {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND => StatusCode::NOT_FOUND,
            StatusCode::TOO_MANY_REQUESTS => StatusCode::TOO_MANY_REQUESTS,
            StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::INTERNAL_SERVER_ERROR => {
                if let ApiError::Internal(cause) = &e {
                    tracing::error!(%cause, "internal error");
                }
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::BAD_REQUEST,
        };
        let descriptions = match &e {
            ApiError::Refused(r) if !r.fields.is_empty() => r
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message(lang)))
                .collect(),
            _ => vec![e.message(lang)],
        };
        Failure {
            format,
            status,
            descriptions,
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let code = self.status.as_u16();
        let body = Value::Array(
            self.descriptions
                .into_iter()
                .map(|d| json!({ "code": code, "description": d }))
                .collect(),
        );
        let mut resp = render(self.format, "errors", "error", body);
        *resp.status_mut() = self.status;
        resp
    }
}

type Answer = Result<Response, Failure>;

/// What a call carries: the path's format, the caller's language, and every parameter from
/// the query string and the form body.
struct Call {
    format: Format,
    lang: Lang,
    params: Vec<(String, String)>,
    /// A key sent as `Authorization: Bearer …` instead of `api_key`.
    bearer: Option<String>,
}

impl Call {
    fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The client's key: `api_key`, else an `Authorization: Bearer` header.
    fn api_key(&self) -> Option<&str> {
        self.get("api_key").or(self.bearer.as_deref())
    }

    fn get_owned(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }

    fn fail(&self, e: impl Into<ApiError>) -> Failure {
        Failure::from_api(self.format, self.lang, e.into())
    }

    fn bad(&self, field: &str, what: &str) -> Failure {
        Failure::new(
            self.format,
            StatusCode::BAD_REQUEST,
            format!("{field}: {what}"),
        )
    }

    /// `jurisdiction_id`: another installation's is 404; none is 400 when it is required.
    fn check_jurisdiction(&self, state: &AppState) -> Result<(), Failure> {
        let cfg = &state.open311;
        match self
            .get("jurisdiction_id")
            .map(str::trim)
            .filter(|j| !j.is_empty())
        {
            Some(j) if j.eq_ignore_ascii_case(&cfg.jurisdiction) => Ok(()),
            Some(j) => Err(Failure::new(
                self.format,
                StatusCode::NOT_FOUND,
                match self.lang {
                    Lang::Id => format!(
                        "jurisdiction_id `{j}` tidak dilayani di sini; gunakan `{}`.",
                        cfg.jurisdiction
                    ),
                    Lang::En => format!(
                        "jurisdiction_id `{j}` is not served here; use `{}`.",
                        cfg.jurisdiction
                    ),
                },
            )),
            None if cfg.jurisdiction_required => Err(Failure::new(
                self.format,
                StatusCode::BAD_REQUEST,
                match self.lang {
                    Lang::Id => format!("jurisdiction_id wajib diisi (`{}`).", cfg.jurisdiction),
                    Lang::En => format!("jurisdiction_id is required (`{}`).", cfg.jurisdiction),
                },
            )),
            None => Ok(()),
        }
    }
}

/// A GET call: the path's last segment without its extension, and the call, its
/// `jurisdiction_id` checked.
struct Called(String, Call);

impl FromRequestParts<AppState> for Called {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let file = Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(f)| f)
            .unwrap_or_default();
        let (stem, call) = call(&file, &parts.headers, &parts.uri)?;
        call.check_jurisdiction(state)?;
        Ok(Called(stem, call))
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or(Lang::En)
}

/// `requests.json` → (`requests`, JSON); an unknown extension is 404.
fn split(file: &str, lang: Lang) -> Result<(String, Format), Failure> {
    let (stem, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    let format = match ext.to_ascii_lowercase().as_str() {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => {
            return Err(Failure::new(
                Format::Json,
                StatusCode::NOT_FOUND,
                match lang {
                    Lang::Id => "Akhiri alamat dengan .json atau .xml.",
                    Lang::En => "End the address with .json or .xml.",
                },
            ));
        }
    };
    Ok((stem.to_string(), format))
}

fn query_params(uri: &axum::http::Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| parse_form(q.as_bytes()))
        .unwrap_or_default()
}

fn call(file: &str, headers: &HeaderMap, uri: &axum::http::Uri) -> Result<(String, Call), Failure> {
    let lang = lang_of(headers);
    let (stem, format) = split(file, lang)?;
    Ok((
        stem,
        Call {
            format,
            lang,
            params: query_params(uri),
            bearer: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|v| v.trim().to_string()),
        },
    ))
}

/// A time in the GeoReport (W3C) format, with its zone.
fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Jakarta)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn parse_time(call: &Call, name: &str) -> Result<Option<DateTime<Utc>>, Failure> {
    match call.get(name).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => tanggap_channels::connectors::parse_time(v)
            .map(Some)
            .ok_or_else(|| {
                call.bad(
                    name,
                    match call.lang {
                        Lang::Id => "tulis waktu W3C, mis. 2026-11-28T08:00:00+07:00",
                        Lang::En => "write a W3C time, e.g. 2026-11-28T08:00:00+07:00",
                    },
                )
            }),
    }
}

fn list(call: &Call, name: &str) -> Vec<String> {
    list_param(&call.params, name)
}

// ----- handlers ------------------------------------------------------------------------------

async fn top_get(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Called(stem, call): Called,
) -> Answer {
    match stem.as_str() {
        "discovery" => Ok(discovery(&state, &call)),
        "services" => {
            let services = state
                .services
                .open311_services()
                .await
                .map_err(|e| call.fail(e))?;
            Ok(render(
                call.format,
                "services",
                "service",
                Value::Array(services.iter().map(service_json).collect()),
            ))
        }
        "requests" => {
            state.limits.public_list(ip).map_err(|e| call.fail(e))?;
            requests(&state, &call).await
        }
        "servicerequestupdates" => {
            state.limits.public_list(ip).map_err(|e| call.fail(e))?;
            let updates = state
                .services
                .open311_updates(
                    parse_time(&call, "start_date")?,
                    parse_time(&call, "end_date")?,
                )
                .await
                .map_err(|e| call.fail(e))?;
            Ok(render(
                call.format,
                "service_request_updates",
                "request_update",
                Value::Array(updates.iter().map(update_json).collect()),
            ))
        }
        _ => Err(not_here(&call)),
    }
}

async fn top_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(file): Path<String>,
    req: Request,
) -> Answer {
    let (stem, mut call) = call(&file, req.headers(), req.uri())?;
    let (body, files) = read_body(&state, &call, req).await?;
    call.params.extend(body);
    call.check_jurisdiction(&state)?;
    match stem.as_str() {
        "requests" => {
            state.limits.submit(ip).map_err(|e| call.fail(e))?;
            let attachments = store_files(&state, files).await.map_err(|e| call.fail(e))?;
            submit(&state, &call, attachments).await
        }
        "servicerequestupdates" => {
            if !files.is_empty() {
                return Err(call.bad(
                    "media",
                    match call.lang {
                        Lang::Id => "perkembangan tidak menerima berkas",
                        Lang::En => "updates take no files",
                    },
                ));
            }
            let u = state
                .services
                .open311_post_update(
                    call.api_key(),
                    PostedUpdate {
                        service_request_id: call
                            .get_owned("service_request_id")
                            .unwrap_or_default(),
                        status: call.get_owned("status").unwrap_or_default(),
                        description: call.get_owned("description").unwrap_or_default(),
                    },
                )
                .await
                .map_err(|e| call.fail(e))?;
            Ok(render(
                call.format,
                "service_request_updates",
                "request_update",
                Value::Array(vec![update_json(&u)]),
            ))
        }
        _ => Err(not_here(&call)),
    }
}

async fn service_definition(State(state): State<AppState>, Called(code, call): Called) -> Answer {
    let service = state
        .services
        .open311_service(&code)
        .await
        .map_err(|e| call.fail(e))?;
    let attributes: Vec<Value> = o311::attributes()
        .into_iter()
        .map(|a| {
            let mut v = json!({
                "variable": true,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
            });
            if !a.values.is_empty() {
                v["values"] = a
                    .values
                    .iter()
                    .map(|x| json!({ "key": x.key, "name": x.name }))
                    .collect();
            }
            v
        })
        .collect();
    Ok(render(
        call.format,
        "service_definition",
        "",
        json!({ "service_code": service.code, "attributes": attributes }),
    ))
}

async fn one_request(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Called(id, call): Called,
) -> Answer {
    state.limits.lookup(ip).map_err(|e| call.fail(e))?;
    let r = state
        .services
        .open311_request(&id, wants_notes(&call))
        .await
        .map_err(|e| call.fail(e))?;
    Ok(requests_answer(
        call.format,
        vec![request_json(&r, wants_notes(&call))],
    ))
}

async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Called(token, call): Called,
) -> Answer {
    state.limits.lookup(ip).map_err(|e| call.fail(e))?;
    let tid = state
        .services
        .open311_token(&token)
        .await
        .map_err(|e| call.fail(e))?;
    let r = state
        .services
        .open311_request(tid.as_str(), false)
        .await
        .map_err(|e| call.fail(e))?;
    let mut v = request_json(&r, false);
    v["token"] = Value::String(token);
    Ok(requests_answer(call.format, vec![v]))
}

/// Requests as GeoReport lists them (`<service_requests><request>…`).
fn requests_answer(format: Format, requests: Vec<Value>) -> Response {
    render(
        format,
        "service_requests",
        "request",
        Value::Array(requests),
    )
}

fn not_here(call: &Call) -> Failure {
    Failure::new(
        call.format,
        StatusCode::NOT_FOUND,
        match call.lang {
            Lang::Id => "Tidak ada apa-apa di alamat ini.",
            Lang::En => "There is nothing at this address.",
        },
    )
}

fn wants_notes(call: &Call) -> bool {
    call.get("extensions")
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn discovery(state: &AppState, call: &Call) -> Response {
    let base = format!("{}/open311/v2", state.public_url.trim_end_matches('/'));
    let changeset = "2026-12-05T00:00:00+07:00";
    render(
        call.format,
        "discovery",
        "",
        json!({
            "changeset": changeset,
            "contact": "Tanggap: layanan pengaduan masyarakat Provinsi Jawa Tengah",
            "key_service": "Kunci Open311 (api_key) diterbitkan admin Tanggap (tanggap api-key add NAMA).",
            "endpoints": [{
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": changeset,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }],
        }),
    )
}

async fn requests(state: &AppState, call: &Call) -> Answer {
    let statuses = list(call, "status");
    if let Some(s) = statuses.iter().find(|s| *s != "open" && *s != "closed") {
        return Err(call.bad(
            "status",
            &match call.lang {
                Lang::Id => format!("`{s}` tidak dikenal; gunakan open atau closed"),
                Lang::En => format!("`{s}` is unknown; use open or closed"),
            },
        ));
    }
    let number = |name: &str, default: u32| -> Result<u32, Failure> {
        match call.get(name).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(v) => v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                call.bad(
                    name,
                    match call.lang {
                        Lang::Id => "tulis bilangan bulat 1 atau lebih",
                        Lang::En => "write a whole number of 1 or more",
                    },
                )
            }),
        }
    };
    let q = Open311Query {
        ids: list(call, "service_request_id"),
        service_codes: list(call, "service_code"),
        start: parse_time(call, "start_date")?,
        end: parse_time(call, "end_date")?,
        statuses,
        page: number("page", 1)?,
        page_size: number("page_size", o311::DEFAULT_PAGE_SIZE)?.min(o311::MAX_PAGE_SIZE),
        with_notes: wants_notes(call),
    };
    let with_notes = q.with_notes;
    let found = state
        .services
        .open311_requests(q)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(requests_answer(
        call.format,
        found.iter().map(|r| request_json(r, with_notes)).collect(),
    ))
}

async fn submit(
    state: &AppState,
    call: &Call,
    attachments: Vec<tanggap_store::NewAttachment>,
) -> Answer {
    let attributes = attribute_params(&call.params);
    let created = state
        .services
        .open311_submit(
            call.api_key(),
            Open311Submission {
                service_code: call.get_owned("service_code").unwrap_or_default(),
                lat: call.get_owned("lat"),
                long: call.get_owned("long"),
                address_string: call.get_owned("address_string"),
                address_id: call.get_owned("address_id"),
                description: call.get_owned("description"),
                email: call.get_owned("email"),
                phone: call.get_owned("phone"),
                first_name: call.get_owned("first_name"),
                last_name: call.get_owned("last_name"),
                media_url: call.get_owned("media_url"),
                attributes,
                attachments,
            },
        )
        .await
        .map_err(|e| call.fail(e))?;
    // The answer is the request as anyone can read it now, with the token and the notice; a
    // confidential report is not for anyone to read: its number, code and time only.
    let mut v = match state
        .services
        .open311_request(created.tracking_id.as_str(), false)
        .await
    {
        Ok(r) => request_json(&r, false),
        Err(tanggap_service::ServiceError::Refused(r)) if r.kind == RefusalKind::NotFound => {
            json!({
                "service_request_id": created.tracking_id.as_str(),
                "status": "open",
                "service_code": created.service_code,
                "requested_datetime": time(created.requested),
            })
        }
        Err(e) => return Err(call.fail(e)),
    };
    v["token"] = Value::String(created.token);
    v["service_notice"] = Value::String(created.notice);
    v["account_id"] = Value::Null;
    let mut resp = requests_answer(call.format, vec![v]);
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

/// The form body (url-encoded) or multipart parts: text parts are parameters, file parts
/// (`media`, `media[]`, or any part with a file name) are media, cleaned like every upload.
async fn read_body(
    state: &AppState,
    call: &Call,
    req: Request,
) -> Result<(Vec<(String, String)>, Vec<tanggap_attachments::CleanFile>), Failure> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| call.fail(ApiError::BadRequest(e.body_text())))?;
        let mut params = vec![];
        let mut files = vec![];
        let limits = &state.attachment_limits;
        while let Some(field) = mp.next_field().await.map_err(|e| {
            call.fail(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge("The upload is larger than the limit.".into())
            } else {
                ApiError::BadRequest(e.body_text())
            })
        })? {
            let name = field.name().unwrap_or_default().to_string();
            let filename = field.file_name().map(str::to_string);
            let bytes = field
                .bytes()
                .await
                .map_err(|e| call.fail(ApiError::BadRequest(e.body_text())))?;
            if filename.is_some() || name == "media" || name == "media[]" {
                tanggap_attachments::check_count(files.len() + 1, limits)
                    .map_err(|e| call.fail(ApiError::from(e)))?;
                let f = tanggap_attachments::clean(
                    &bytes,
                    filename.as_deref().unwrap_or("media"),
                    limits,
                )
                .map_err(|e| call.fail(ApiError::from(e)))?;
                files.push(f);
            } else {
                if bytes.len() > JSON_LIMIT {
                    return Err(call.fail(ApiError::TooLarge(format!(
                        "The part `{name}` is too large."
                    ))));
                }
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    call.fail(ApiError::BadRequest(format!(
                        "The part `{name}` is not UTF-8 text."
                    )))
                })?;
                params.push((name, text));
            }
        }
        return Ok((params, files));
    }
    let bytes: Bytes = axum::body::to_bytes(req.into_body(), JSON_LIMIT)
        .await
        .map_err(|_| {
            call.fail(ApiError::TooLarge(format!(
                "A form body may have at most {} KiB.",
                JSON_LIMIT / 1024
            )))
        })?;
    if bytes.is_empty() {
        return Ok((vec![], vec![]));
    }
    if !content_type.is_empty() && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(call.fail(ApiError::UnsupportedMediaType(
            "Send `application/x-www-form-urlencoded`, or `multipart/form-data` with media.".into(),
        )));
    }
    Ok((parse_form(&bytes), vec![]))
}

// ----- documents ---------------------------------------------------------------------------

fn service_json(s: &Open311Service) -> Value {
    json!({
        "service_code": s.code,
        "service_name": s.name,
        "description": s.description,
        "metadata": true,
        "type": "realtime",
        "keywords": s.keywords.join(","),
        "group": s.group,
    })
}

fn request_json(r: &Open311Request, with_notes: bool) -> Value {
    let mut v = json!({
        "service_request_id": r.id,
        "status": r.status,
        "status_notes": r.status_notes,
        "service_name": r.service_name,
        "service_code": r.service_code.clone().unwrap_or_else(|| "lainnya".into()),
        "description": r.description,
        "agency_responsible": r.agency_responsible,
        "service_notice": r.service_notice,
        "requested_datetime": time(r.requested),
        "updated_datetime": time(r.updated),
        "expected_datetime": r.expected.map(time),
        "address": r.address,
        "address_id": r.address_id,
        "zipcode": Value::Null,
        "lat": r.lat,
        "long": r.long,
        "media_url": Value::Null,
    });
    if with_notes {
        v["notes"] = r
            .notes
            .iter()
            .map(|n| {
                json!({
                    "datetime": time(n.at),
                    "summary": n.summary,
                    "description": n.description,
                    "status": n.status,
                    "type": "activity",
                })
            })
            .collect();
    }
    v
}

fn update_json(u: &Open311Update) -> Value {
    json!({
        "update_id": u.update_id,
        "service_request_id": u.request_id,
        "status": u.status,
        "updated_datetime": time(u.at),
        "description": u.description,
        "media_url": Value::Null,
    })
}

// ----- rendering -----------------------------------------------------------------------------

/// The document as JSON, or as XML: `root` around it, `item` around each element of a
/// top-level list; lists inside are written as their name around items named in the singular.
fn render(format: Format, root: &str, item: &str, body: Value) -> Response {
    match format {
        Format::Json => axum::Json(body).into_response(),
        Format::Xml => {
            let mut w = Writer::new(Vec::new());
            let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
            match body {
                Value::Array(items) => {
                    let _ = w.write_event(Event::Start(BytesStart::new(root)));
                    for v in &items {
                        xml_value(&mut w, item, v);
                    }
                    let _ = w.write_event(Event::End(BytesEnd::new(root)));
                }
                other => xml_value(&mut w, root, &other),
            }
            (
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                w.into_inner(),
            )
                .into_response()
        }
    }
}

fn singular(name: &str) -> &str {
    name.strip_suffix('s').unwrap_or(name)
}

fn xml_value(w: &mut Writer<Vec<u8>>, name: &str, v: &Value) {
    match v {
        Value::Null => {
            let _ = w.write_event(Event::Empty(BytesStart::new(name)));
        }
        Value::Object(map) => xml_object(w, name, map),
        Value::Array(items) => {
            let _ = w.write_event(Event::Start(BytesStart::new(name)));
            for x in items {
                xml_value(w, singular(name), x);
            }
            let _ = w.write_event(Event::End(BytesEnd::new(name)));
        }
        Value::String(s) => xml_text(w, name, s),
        other => xml_text(w, name, &other.to_string()),
    }
}

fn xml_object(w: &mut Writer<Vec<u8>>, name: &str, map: &Map<String, Value>) {
    let _ = w.write_event(Event::Start(BytesStart::new(name)));
    for (k, v) in map {
        xml_value(w, k, v);
    }
    let _ = w.write_event(Event::End(BytesEnd::new(name)));
}

fn xml_text(w: &mut Writer<Vec<u8>>, name: &str, text: &str) {
    let _ = w.write_event(Event::Start(BytesStart::new(name)));
    let _ = w.write_event(Event::Text(BytesText::new(&xml_chars(text))));
    let _ = w.write_event(Event::End(BytesEnd::new(name)));
}

/// Text as XML 1.0 can carry it: a character outside its `Char` production (a control
/// character but tab and line breaks, U+FFFE, U+FFFF) has no escape, so it becomes U+FFFD.
/// Stored text never has one (`service::text` refuses them), but an error may quote what a
/// client sent (`status: \`…\` is unknown`), and one such character makes the whole document
/// unreadable to an XML parser.
fn xml_chars(text: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if text.chars().all(allowed) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_lists_name_their_items_in_the_singular_and_escape_text() {
        let resp = render(
            Format::Xml,
            "service_requests",
            "request",
            json!([{ "service_request_id": "LG-1", "notes": [{ "summary": "a < b & c" }], "lat": null }]),
        );
        let body = futures_body(resp);
        assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
        assert!(body.contains("<service_requests><request>"));
        assert!(body.contains("<service_request_id>LG-1</service_request_id>"));
        assert!(body.contains("<notes><note><summary>a &lt; b &amp; c</summary></note></notes>"));
        assert!(body.contains("<lat/>"));
    }

    #[test]
    fn xml_never_carries_a_character_xml_forbids() {
        let resp = render(
            Format::Xml,
            "errors",
            "error",
            json!([{ "code": 400, "description": "status: `a\u{0}b\u{1b}c\u{FFFE}` is unknown\tok\n" }]),
        );
        let body = futures_body(resp);
        assert!(
            body.contains(
                "<description>status: `a\u{FFFD}b\u{FFFD}c\u{FFFD}` is unknown\tok\n</description>"
            ),
            "{body:?}"
        );
    }

    fn futures_body(resp: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(resp.into_body(), usize::MAX))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn parameters_are_read_from_forms_lists_and_attributes() {
        let params = parse_form(
            b"service_request_id=LG-1,%20LG-2,&service_request_id=LG-3&attribute%5Bdepth%5D=30\
              &attribute[kinds][]=a&attribute[kinds][]=b&attribute[=x&a+b=%F0%9F",
        );
        assert_eq!(
            list_param(&params, "service_request_id"),
            ["LG-1", "LG-2", "LG-3"]
        );
        assert_eq!(
            attribute_params(&params),
            [
                ("depth".to_string(), "30".to_string()),
                ("kinds".to_string(), "a".to_string()),
                ("kinds".to_string(), "b".to_string()),
            ]
        );
        assert_eq!(params.last().unwrap(), &("a b".into(), "\u{FFFD}".into()));
    }

    #[test]
    fn paths_name_their_format() {
        assert_eq!(
            split("requests.json", Lang::En).ok(),
            Some(("requests".to_string(), Format::Json))
        );
        assert_eq!(
            split("LG-ABC.xml", Lang::En).ok(),
            Some(("LG-ABC".to_string(), Format::Xml))
        );
        assert!(split("requests", Lang::En).is_err());
        assert!(split("requests.html", Lang::En).is_err());
    }

    #[test]
    fn times_carry_their_zone() {
        let t = DateTime::parse_from_rfc3339("2026-12-01T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time(t), "2026-12-01T10:00:00+07:00");
    }

    #[test]
    fn refusals_become_georeport_codes() {
        let f = Failure::from_api(
            Format::Json,
            Lang::En,
            ApiError::refused(RefusalKind::Unauthenticated, "open311_key_required"),
        );
        assert_eq!(f.status, StatusCode::FORBIDDEN);
        let f = Failure::from_api(
            Format::Json,
            Lang::En,
            ApiError::field("service_code", "unknown"),
        );
        assert_eq!(f.status, StatusCode::BAD_REQUEST);
        assert!(f.descriptions[0].starts_with("service_code: "));
    }
}
