//! The OpenAPI 3.1 document: every route's entry is built from what its `handler.rs` says (its
//! [`Doc`]: the Rust types it reads and answers, through utoipa's `ToSchema`, and the errors it
//! answers with, as values of the real error types), so the document cannot drift from the
//! code. `stagepass_local::openapi::document()` puts every function's route together; the copy
//! checked in as `shared/api/openapi.json` is what `GET /openapi.json` serves, and a test keeps
//! the two equal.

use crate::error::{ApiError, ErrorBody};
use crate::wiring::{Access, Route};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, RefOr,
    Required, ResponseBuilder, Schema,
};
use utoipa::{PartialSchema, ToSchema};

/// What the `Idempotency-Key` header takes (what `idempotency::key` accepts).
const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

/// A body type: its schema and the named schemas it refers to.
pub struct BodyType {
    schema: RefOr<Schema>,
    components: Vec<(String, RefOr<Schema>)>,
}

impl BodyType {
    pub fn of<T: ToSchema>() -> Self {
        let mut components = Vec::new();
        T::schemas(&mut components);
        components.push((T::name().into_owned(), T::schema()));
        Self {
            schema: RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name())),
            components,
        }
    }
}

/// A success answer: status, what it means, and its body (none for `204`).
struct Answer {
    status: u16,
    description: &'static str,
    body: Option<BodyType>,
}

/// What a route's documentation says besides its method, path and access (which come from
/// its [`Route`]).
pub struct Doc {
    summary: &'static str,
    description: &'static str,
    request: Option<(BodyType, Option<Value>)>,
    query: Vec<(&'static str, &'static str, RefOr<Schema>)>,
    answers: Vec<Answer>,
    errors: Vec<ApiError>,
    idempotency_key: bool,
    admission_token: bool,
    optional_token: bool,
    links: Vec<Linked>,
}

/// An OpenAPI link: how a client goes on from an answer to another operation, with values
/// taken from the answer (`$response.body#/id`). Fuzzers follow them to build sequences
/// (create an event, publish it, hold a seat, check out) instead of guessing ids.
struct Linked {
    status: u16,
    name: &'static str,
    operation: &'static str,
    parameters: Value,
    body: Option<Value>,
}

impl Doc {
    pub fn new(summary: &'static str) -> Self {
        Self {
            summary,
            description: "",
            request: None,
            query: Vec::new(),
            answers: Vec::new(),
            errors: Vec::new(),
            idempotency_key: false,
            admission_token: false,
            optional_token: false,
            links: Vec::new(),
        }
    }

    pub fn describe(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    /// A JSON body of type `T`, with an example a client can send as it is.
    pub fn body<T: ToSchema>(mut self, example: Value) -> Self {
        self.request = Some((BodyType::of::<T>(), Some(example)));
        self
    }

    /// An optional query parameter and the JSON Schema of its value.
    pub fn query(mut self, name: &'static str, description: &'static str, schema: Value) -> Self {
        let schema = serde_json::from_value(schema).expect("a valid schema");
        self.query.push((name, description, RefOr::T(schema)));
        self
    }

    /// An optional query parameter whose value is one of a Rust type's (an enum's names).
    pub fn query_of<T: PartialSchema>(
        mut self,
        name: &'static str,
        description: &'static str,
    ) -> Self {
        self.query.push((name, description, T::schema()));
        self
    }

    /// A success answer with a body of type `T`.
    pub fn answers<T: ToSchema>(mut self, status: u16, description: &'static str) -> Self {
        self.answers.push(Answer {
            status,
            description,
            body: Some(BodyType::of::<T>()),
        });
        self
    }

    /// A success answer whose body is a JSON object the document does not describe (the JWK
    /// set, the OpenAPI document itself).
    pub fn answers_object(mut self, status: u16, description: &'static str) -> Self {
        let object: Schema =
            serde_json::from_value(json!({"type": "object"})).expect("a valid schema");
        self.answers.push(Answer {
            status,
            description,
            body: Some(BodyType {
                schema: RefOr::T(object),
                components: Vec::new(),
            }),
        });
        self
    }

    /// A success answer without a body.
    pub fn answers_empty(mut self, status: u16, description: &'static str) -> Self {
        self.answers.push(Answer {
            status,
            description,
            body: None,
        });
        self
    }

    /// The failures the route answers with, as values of their real types: each one's status
    /// and code come from the type, so the document says what the code does.
    pub fn errors(mut self, errors: impl IntoIterator<Item = ApiError>) -> Self {
        self.errors.extend(errors);
        self
    }

    /// From the `status` answer a client may go on to `operation` (a function's name) with
    /// these path `parameters` (runtime expressions such as `$response.body#/id`).
    pub fn link(
        self,
        status: u16,
        name: &'static str,
        operation: &'static str,
        parameters: Value,
    ) -> Self {
        self.link_with_body(status, name, operation, parameters, None)
    }

    /// A [`link`](Self::link) that also says what to send as the request body.
    pub fn link_with_body(
        mut self,
        status: u16,
        name: &'static str,
        operation: &'static str,
        parameters: Value,
        body: Option<Value>,
    ) -> Self {
        self.links.push(Linked {
            status,
            name,
            operation,
            parameters,
            body,
        });
        self
    }

    /// A public route that also takes an access token, and answers more with one (an
    /// organiser sees their own drafts).
    pub fn optional_token(mut self) -> Self {
        self.optional_token = true;
        self
    }

    /// The route takes an `Idempotency-Key` header.
    pub fn idempotent(mut self) -> Self {
        self.idempotency_key = true;
        self
    }

    /// The route takes an `Admission-Token` header (a waiting room guards it).
    pub fn admitted(mut self) -> Self {
        self.admission_token = true;
        self
    }
}

/// A route and the name of the function behind it.
pub struct Documented<'a> {
    pub function: &'a str,
    pub route: &'a Route,
}

/// The document for these routes.
pub fn document<'a>(routes: impl IntoIterator<Item = Documented<'a>>) -> OpenApi {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new().security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from POST /auth/login, /auth/refresh or /auth/guest",
                ))
                .build(),
        ),
    );
    let mut schemas = Schemas::default();
    schemas.extend(BodyType::of::<ErrorBody>().components);
    let mut every: Vec<Documented> = routes.into_iter().collect();
    every.sort_by_key(|d| (d.route.path, d.route.method));
    for Documented { function, route } in every {
        let doc = (route.doc)();
        let mut op = OperationBuilder::new()
            .operation_id(Some(function))
            .summary(Some(doc.summary))
            .tag(tag(route.path));
        if !doc.description.is_empty() {
            op = op.description(Some(doc.description));
        }
        for name in path_params(route.path) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(String::schema())),
            );
        }
        for (name, description, schema) in doc.query {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some(description))
                    .schema(Some(schema)),
            );
        }
        if doc.idempotency_key {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "1-255 visible ASCII characters. A retry with the same key and body \
                         gets the first answer again instead of acting twice; the same key \
                         with another body is 422 idempotency_key_reused.",
                    ))
                    .schema(Some(
                        serde_json::from_value::<Schema>(json!({
                            "type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN
                        }))
                        .expect("a valid schema"),
                    )),
            );
        }
        if doc.admission_token {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("Admission-Token")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "The token GET /events/{eventId}/queue gives an admitted fan. Needed \
                         while the event's waiting room guards its on-sale; without a valid \
                         one for this fan and event the answer is 403 queue_token_required.",
                    ))
                    .schema(Some(
                        serde_json::from_value::<Schema>(
                            json!({"type": "string", "maxLength": 2048}),
                        )
                        .expect("a valid schema"),
                    )),
            );
        }
        let mut errors = doc.errors;
        if doc.idempotency_key {
            errors.extend([
                ApiError::from(stagepass_domain::IdempotencyError::KeyReused),
                ApiError::from(stagepass_domain::IdempotencyError::InFlight),
                ApiError::invalid("", ""),
            ]);
        }
        if let Some((body, example)) = doc.request {
            schemas.extend(body.components);
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(body.schema))
                            .example(example)
                            .build(),
                    )
                    .build(),
            ));
            errors.extend([
                ApiError::MalformedJson(String::new()),
                ApiError::invalid("", ""),
                ApiError::PayloadTooLarge { limit: 0 },
            ]);
        }
        if route.access == Access::Token {
            op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
            errors.push(ApiError::Unauthorized(String::new()));
        } else if doc.optional_token {
            // `{}` among the requirements: no token is fine too.
            op = op
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .security(SecurityRequirement::default());
            errors.push(ApiError::Unauthorized(String::new()));
        }
        // Any route may find a store down.
        errors.push(ApiError::Domain(Box::new(stagepass_domain::InfraError(
            String::new(),
        ))));
        for answer in doc.answers {
            let mut response = ResponseBuilder::new().description(answer.description);
            for link in doc.links.iter().filter(|l| l.status == answer.status) {
                let mut built = LinkBuilder::new()
                    .operation_id(link.operation)
                    .request_body(link.body.clone());
                for (name, value) in link.parameters.as_object().into_iter().flatten() {
                    built = built.parameter(name, value.clone());
                }
                response = response.link(link.name, built.build());
            }
            if let Some(body) = answer.body {
                schemas.extend(body.components);
                response = response.content(
                    "application/json",
                    ContentBuilder::new().schema(Some(body.schema)).build(),
                );
            }
            op = op.response(answer.status.to_string(), response.build());
        }
        for (status, codes) in by_status(&errors) {
            op = op.response(status.to_string(), error_response(&codes));
        }
        paths.add_path_operation(route.path, vec![method(route.method)], op.build());
    }
    for (name, schema) in schemas.0 {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Stagepass")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Event ticketing: events and seat maps, seat holds, checkout and the \
                     booking saga, tickets, check-in. Money is an integer in minor units of \
                     the event's currency; times are RFC 3339 UTC. Every error is \
                     {\"error\": {\"code\", \"message\"}}; the codes are stable.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// The document as JSON, with the links' field names as OpenAPI spells them.
pub fn to_json(doc: &OpenApi) -> Value {
    let mut json = serde_json::to_value(doc).expect("the document serialises");
    link_field_names(&mut json);
    json
}

/// utoipa 5.5 writes a Link's `operationId` and `requestBody` as `operation_id` and
/// `request_body`, which OpenAPI does not know (the validator refuses them and clients would
/// ignore the links): rename them to the specification's names.
fn link_field_names(doc: &mut Value) {
    let responses = doc
        .get_mut("paths")
        .and_then(|p| p.as_object_mut())
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(|path| path.as_object_mut())
        .flat_map(|ops| ops.values_mut())
        .filter_map(|op| op.get_mut("responses")?.as_object_mut())
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let links = response.get_mut("links").and_then(|l| l.as_object_mut());
        for link in links.into_iter().flat_map(|l| l.values_mut()) {
            let Some(link) = link.as_object_mut() else {
                continue;
            };
            for (from, to) in [
                ("operation_id", "operationId"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(from) {
                    link.insert(to.into(), value);
                }
            }
        }
    }
}

/// The named schemas the document refers to. Two types of one name must be one schema (two
/// handlers' `Credentials`, say): if they ever differ, building the document fails rather
/// than describe one of them wrongly.
#[derive(Default)]
struct Schemas(BTreeMap<String, RefOr<Schema>>);

impl Schemas {
    fn extend(&mut self, named: Vec<(String, RefOr<Schema>)>) {
        for (name, schema) in named {
            if let Some(known) = self.0.get(&name) {
                assert!(
                    known == &schema,
                    "two different types are called {name}: rename one"
                );
            }
            self.0.insert(name, schema);
        }
    }
}

/// The codes each status stands for, in a stable order.
fn by_status(errors: &[ApiError]) -> BTreeMap<u16, Vec<&'static str>> {
    let mut out: BTreeMap<u16, Vec<&'static str>> = BTreeMap::new();
    for e in errors {
        let codes = out.entry(e.status()).or_default();
        if !codes.contains(&e.code()) {
            codes.push(e.code());
        }
    }
    for codes in out.values_mut() {
        codes.sort_unstable();
    }
    out
}

/// An error answer: the error body, its `code` one of `codes`.
fn error_response(codes: &[&str]) -> utoipa::openapi::Response {
    let schema: Schema = serde_json::from_value(json!({
        "allOf": [
            {"$ref": "#/components/schemas/ErrorBody"},
            {"type": "object", "properties": {"error": {"type": "object",
                "properties": {"code": {"type": "string", "enum": codes}}}}}
        ]
    }))
    .expect("a valid schema");
    ResponseBuilder::new()
        .description(codes.join(", "))
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(schema)).build(),
        )
        .build()
}

/// The `{name}` parameters of a route's path, in order.
pub fn path_params(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// Routes are grouped by their first path segment (`events`, `bookings`, `auth`, ...).
fn tag(path: &str) -> &str {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .trim_start_matches('.')
}

fn method(m: &str) -> HttpMethod {
    match m {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        other => panic!("no route uses {other}"),
    }
}
