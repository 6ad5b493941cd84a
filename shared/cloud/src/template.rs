//! `template.yaml` as the cloud-shaped stack needs it: the resources to create, each function
//! with its binary, environment, timeout and triggers, the API's routes and authorizer, all
//! with CloudFormation's intrinsic functions resolved against the names this stack gave them.

use serde_yaml::Value as Yaml;
use std::collections::BTreeMap;

pub const REGION: &str = "us-east-1";
/// The account moto reports for every call.
pub const ACCOUNT: &str = "123456789012";
pub const API_ID: &str = "stagepass";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Behind the token authorizer.
    Token,
}

#[derive(Debug, Clone)]
pub struct ApiRoute {
    pub method: String,
    /// API Gateway's resource path, e.g. `/events/{eventId}`.
    pub path: String,
    pub access: Access,
}

#[derive(Debug, Clone)]
pub enum Trigger {
    Api(ApiRoute),
    Sqs {
        queue: String,
        batch_size: usize,
    },
    Stream {
        table: String,
        batch_size: usize,
        /// Lambda event filter patterns; a record is passed on when any matches.
        filters: Vec<serde_json::Value>,
    },
    /// An EventBridge schedule, `rate(...)` only.
    Schedule {
        every: std::time::Duration,
    },
}

#[derive(Debug, Clone)]
pub struct FunctionDef {
    pub logical_id: String,
    /// The cargo binary (`Metadata.BuildProperties.Binary`).
    pub binary: String,
    /// Template values, unresolved (see [`Names::resolve`]).
    pub environment: BTreeMap<String, Yaml>,
    pub timeout_secs: u64,
    pub memory_mb: u64,
    pub triggers: Vec<Trigger>,
}

#[derive(Debug, Clone)]
pub struct Authorizer {
    pub function: String,
    pub header: String,
    pub ttl_secs: u64,
}

pub struct Template {
    pub doc: Yaml,
    /// The template's conditions, evaluated once with the parameters' defaults.
    pub conditions: BTreeMap<String, bool>,
}

impl Template {
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut template = Self {
            doc: serde_yaml::from_str(text).map_err(|e| e.to_string())?,
            conditions: BTreeMap::new(),
        };
        template.conditions = template.evaluate_conditions()?;
        Ok(template)
    }

    /// Whether the stack creates `resource`: no `Condition`, or one that holds.
    pub fn creates(&self, resource: &Yaml) -> bool {
        match resource["Condition"].as_str() {
            Some(c) => self.conditions.get(c).copied().unwrap_or(false),
            None => true,
        }
    }

    /// `(logical id, resource)` of every resource of one type that the stack creates.
    pub fn resources_of(&self, kind: &str) -> Vec<(String, &Yaml)> {
        self.doc["Resources"]
            .as_mapping()
            .into_iter()
            .flatten()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind) && self.creates(r))
            .map(|(id, r)| (id.as_str().unwrap_or_default().to_string(), r))
            .collect()
    }

    /// Every condition of the template, evaluated with the parameters' defaults
    /// (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` over `Ref`s of parameters and strings).
    fn evaluate_conditions(&self) -> Result<BTreeMap<String, bool>, String> {
        let mut out = BTreeMap::new();
        for (name, condition) in self.doc["Conditions"].as_mapping().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default().to_string();
            out.insert(
                name.clone(),
                self.condition(condition)
                    .map_err(|e| format!("condition {name}: {e}"))?,
            );
        }
        Ok(out)
    }

    fn condition(&self, v: &Yaml) -> Result<bool, String> {
        let (name, arg) = intrinsic(v).ok_or_else(|| format!("{v:?}"))?;
        let args = arg.as_sequence().cloned().unwrap_or_default();
        match name.as_str() {
            "Equals" => {
                let value = |v: &Yaml| match intrinsic(v) {
                    Some((f, a)) if f == "Ref" => {
                        let p = a.as_str().unwrap_or_default();
                        self.parameter_default(p)
                            .ok_or_else(|| format!("parameter {p} has no default"))
                    }
                    _ => scalar(v).ok_or_else(|| format!("{v:?}")),
                };
                Ok(value(&args[0])? == value(&args[1])?)
            }
            "Not" => Ok(!self.condition(&args[0])?),
            "And" => args
                .iter()
                .try_fold(true, |all, c| Ok(all && self.condition(c)?)),
            "Or" => args
                .iter()
                .try_fold(false, |any, c| Ok(any || self.condition(c)?)),
            "Condition" => {
                self.condition(&self.doc["Conditions"][arg.as_str().unwrap_or_default()])
            }
            other => Err(format!("Fn::{other} in a condition")),
        }
    }

    pub fn parameter_default(&self, name: &str) -> Option<String> {
        scalar(&self.doc["Parameters"][name]["Default"])
    }

    pub fn functions(&self) -> Result<Vec<FunctionDef>, String> {
        let globals = &self.doc["Globals"]["Function"];
        let mut out = Vec::new();
        for (id, r) in self.resources_of("AWS::Serverless::Function") {
            let props = &r["Properties"];
            let binary = r["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .ok_or_else(|| format!("{id}: no Metadata.BuildProperties.Binary"))?
                .to_string();
            // SAM merges the global variables with the function's own (the function wins).
            let environment = [globals, props]
                .into_iter()
                .filter_map(|p| p["Environment"]["Variables"].as_mapping())
                .flatten()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.clone()))
                .collect();
            let number = |key: &str, default: u64| {
                props[key]
                    .as_u64()
                    .or_else(|| globals[key].as_u64())
                    .unwrap_or(default)
            };
            let mut triggers = Vec::new();
            for (_, event) in props["Events"].as_mapping().into_iter().flatten() {
                let p = &event["Properties"];
                let batch_size = p["BatchSize"].as_u64().unwrap_or(10) as usize;
                match event["Type"].as_str() {
                    Some("Api") => triggers.push(Trigger::Api(ApiRoute {
                        method: p["Method"].as_str().unwrap_or_default().to_uppercase(),
                        path: p["Path"].as_str().unwrap_or_default().to_string(),
                        access: match p["Auth"]["Authorizer"].as_str() {
                            Some("NONE") => Access::Public,
                            _ => Access::Token,
                        },
                    })),
                    Some("SQS") => triggers.push(Trigger::Sqs {
                        queue: referenced(&p["Queue"])
                            .ok_or_else(|| format!("{id}: SQS event without a queue"))?,
                        batch_size,
                    }),
                    Some("DynamoDB") => triggers.push(Trigger::Stream {
                        table: referenced(&p["Stream"])
                            .ok_or_else(|| format!("{id}: stream event without a table"))?,
                        batch_size,
                        filters: p["FilterCriteria"]["Filters"]
                            .as_sequence()
                            .into_iter()
                            .flatten()
                            .map(|f| {
                                serde_json::from_str(f["Pattern"].as_str().unwrap_or("{}"))
                                    .map_err(|e| format!("{id}: filter pattern: {e}"))
                            })
                            .collect::<Result<_, _>>()?,
                    }),
                    Some("Schedule") => triggers.push(Trigger::Schedule {
                        every: rate(p["Schedule"].as_str().unwrap_or_default())
                            .map_err(|e| format!("{id}: {e}"))?,
                    }),
                    other => return Err(format!("{id}: event type {other:?} is not run here")),
                }
            }
            out.push(FunctionDef {
                logical_id: id,
                binary,
                environment,
                timeout_secs: number("Timeout", 3),
                memory_mb: number("MemorySize", 128),
                triggers,
            });
        }
        Ok(out)
    }

    /// The API's token authorizer (the `DefaultAuthorizer`).
    pub fn authorizer(&self) -> Result<Authorizer, String> {
        let (_, api) = self
            .resources_of("AWS::Serverless::Api")
            .into_iter()
            .next()
            .ok_or("template has no AWS::Serverless::Api")?;
        let auth = &api["Properties"]["Auth"];
        let name = auth["DefaultAuthorizer"]
            .as_str()
            .ok_or("the API has no DefaultAuthorizer")?;
        let a = &auth["Authorizers"][name];
        Ok(Authorizer {
            function: referenced(&a["FunctionArn"]).ok_or("authorizer without FunctionArn")?,
            header: a["Identity"]["Header"]
                .as_str()
                .unwrap_or("Authorization")
                .to_string(),
            ttl_secs: a["Identity"]["ReauthorizeEvery"].as_u64().unwrap_or(300),
        })
    }

    /// The API's `GatewayResponses`: status, headers and JSON body per response type.
    pub fn gateway_responses(
        &self,
        names: &Names,
    ) -> Result<BTreeMap<String, GatewayResponse>, String> {
        let api = self.resources_of("AWS::Serverless::Api");
        let Some((_, api)) = api.first() else {
            return Ok(BTreeMap::new());
        };
        let mut out = BTreeMap::new();
        for (k, v) in api["Properties"]["GatewayResponses"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            out.insert(
                k.as_str().unwrap_or_default().to_string(),
                GatewayResponse {
                    status: v["StatusCode"].as_u64().map(|s| s as u16),
                    headers: header_values(&v["ResponseParameters"]["Headers"], names)?,
                    body: v["ResponseTemplates"]["application/json"]
                        .as_str()
                        .map(str::to_string),
                },
            );
        }
        Ok(out)
    }

    /// The headers of the preflight answer SAM makes from the API's `Cors` (a mock `OPTIONS`
    /// on every resource, no authorizer), or `None` if the API has no `Cors`.
    pub fn cors_preflight(&self, names: &Names) -> Result<Option<Vec<(String, String)>>, String> {
        let api = self.resources_of("AWS::Serverless::Api");
        let Some((_, api)) = api.first() else {
            return Ok(None);
        };
        let cors = &api["Properties"]["Cors"];
        if cors.is_null() {
            return Ok(None);
        }
        let mut headers = Vec::new();
        for (property, header) in [
            ("AllowOrigin", "Access-Control-Allow-Origin"),
            ("AllowMethods", "Access-Control-Allow-Methods"),
            ("AllowHeaders", "Access-Control-Allow-Headers"),
            ("MaxAge", "Access-Control-Max-Age"),
        ] {
            if !cors[property].is_null() {
                let value = names.resolve(&cors[property])?;
                headers.push((header.to_string(), value.trim_matches('\'').to_string()));
            }
        }
        Ok(Some(headers))
    }

    pub fn stage(&self) -> String {
        self.parameter_default("StageName")
            .unwrap_or_else(|| "live".into())
    }
}

/// Header values as API Gateway sends them: resolved, without the quotes that mark a literal.
fn header_values(headers: &Yaml, names: &Names) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (h, value) in headers.as_mapping().into_iter().flatten() {
        let value = names.resolve(value)?;
        out.push((
            h.as_str().unwrap_or_default().to_string(),
            value.trim_matches('\'').to_string(),
        ));
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct GatewayResponse {
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// The logical id a `!Ref X` / `!GetAtt X.Attr` points at.
pub fn referenced(v: &Yaml) -> Option<String> {
    match v {
        Yaml::Tagged(t) => {
            let s = t.value.as_str()?;
            Some(s.split('.').next()?.to_string())
        }
        Yaml::Mapping(m) => {
            let (k, v) = m.iter().next()?;
            match k.as_str()? {
                "Ref" => v.as_str().map(str::to_string),
                "Fn::GetAtt" => v
                    .as_sequence()
                    .and_then(|s| s.first())
                    .and_then(|s| s.as_str())
                    .map(str::to_string),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `rate(5 minutes)`, as EventBridge writes a fixed-rate schedule.
pub fn rate(expression: &str) -> Result<std::time::Duration, String> {
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("schedule {expression:?}: only rate(...) is run here"))?;
    let (value, unit) = inner
        .split_once(' ')
        .ok_or_else(|| format!("schedule {expression:?}"))?;
    let value: u64 = value
        .parse()
        .map_err(|_| format!("schedule {expression:?}"))?;
    let seconds = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86400,
        _ => return Err(format!("schedule {expression:?}: unit {unit}")),
    };
    Ok(std::time::Duration::from_secs(value * seconds))
}

/// An intrinsic function's name without `Fn::` or `!`, and its argument.
fn intrinsic(v: &Yaml) -> Option<(String, Yaml)> {
    let (name, arg) = match v {
        Yaml::Tagged(t) => (t.tag.to_string(), t.value.clone()),
        Yaml::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next()?;
            (k.as_str()?.to_string(), v.clone())
        }
        _ => return None,
    };
    let name = name.trim_start_matches('!').trim_start_matches("Fn::");
    Some((name.to_string(), arg))
}

fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What this stack called each resource: `Ref` and `GetAtt` values by logical id, and the
/// parameters' values.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Names {
    pub stack: String,
    /// `Ref` of each resource and parameter.
    pub refs: BTreeMap<String, String>,
    /// `"Logical.Attr"` → value (`Arn`, `StreamArn`, ...).
    pub attrs: BTreeMap<String, String>,
    /// The template's conditions, as evaluated for this stack.
    pub conditions: BTreeMap<String, bool>,
}

impl Names {
    pub fn get_att(&self, id: &str, attr: &str) -> Result<String, String> {
        self.attrs
            .get(&format!("{id}.{attr}"))
            .cloned()
            .ok_or_else(|| format!("!GetAtt {id}.{attr} is not known to the stack"))
    }

    pub fn get_ref(&self, id: &str) -> Result<String, String> {
        match id {
            "AWS::StackName" => Ok(self.stack.clone()),
            "AWS::Region" => Ok(REGION.into()),
            "AWS::AccountId" => Ok(ACCOUNT.into()),
            "AWS::Partition" => Ok("aws".into()),
            "AWS::URLSuffix" => Ok("amazonaws.com".into()),
            _ => self
                .refs
                .get(id)
                .cloned()
                .ok_or_else(|| format!("!Ref {id} is not known to the stack")),
        }
    }

    /// A template value with `Ref`, `Fn::GetAtt` and `Fn::Sub` resolved, as a string.
    pub fn resolve(&self, v: &Yaml) -> Result<String, String> {
        if let Some(s) = scalar(v) {
            return Ok(s);
        }
        let (name, arg) = match v {
            Yaml::Tagged(t) => (t.tag.to_string(), t.value.clone()),
            Yaml::Mapping(m) if m.len() == 1 => {
                let (k, v) = m.iter().next().expect("one entry");
                (k.as_str().unwrap_or_default().to_string(), v.clone())
            }
            other => return Err(format!("cannot resolve {other:?}")),
        };
        match name.trim_start_matches('!') {
            "Ref" => self.get_ref(arg.as_str().unwrap_or_default()),
            "GetAtt" | "Fn::GetAtt" => {
                let (id, attr) = match &arg {
                    Yaml::String(s) => s
                        .split_once('.')
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .ok_or_else(|| format!("!GetAtt {s}"))?,
                    Yaml::Sequence(s) if s.len() == 2 => (
                        s[0].as_str().unwrap_or_default().to_string(),
                        s[1].as_str().unwrap_or_default().to_string(),
                    ),
                    other => return Err(format!("!GetAtt {other:?}")),
                };
                self.get_att(&id, &attr)
            }
            "Sub" | "Fn::Sub" => self.sub(arg.as_str().ok_or("!Sub takes a string here")?),
            "If" | "Fn::If" => {
                let [condition, yes, no] = arg.as_sequence().map(Vec::as_slice).unwrap_or_default()
                else {
                    return Err(format!("!If {arg:?}"));
                };
                let name = condition.as_str().unwrap_or_default();
                match self.conditions.get(name) {
                    Some(true) => self.resolve(yes),
                    Some(false) => self.resolve(no),
                    None => Err(format!("condition {name} is not known to the stack")),
                }
            }
            other => Err(format!("intrinsic {other} is not supported")),
        }
    }

    /// `Fn::Sub` with `${Name}` and `${Name.Attr}`.
    pub fn sub(&self, text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {text}"))?;
            let name = &rest[start + 2..start + end];
            let value = match name.split_once('.') {
                Some((id, attr)) if !id.starts_with("AWS::") => self.get_att(id, attr)?,
                _ => self.get_ref(name)?,
            };
            out.push_str(&value);
            rest = &rest[start + end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template::parse(text).unwrap()
    }

    const MAIL: &str = r#"
Parameters:
  SetName: {Type: String, Default: ""}
  AlarmEmail: {Type: String, Default: ""}
Conditions:
  CreateSet: !Equals [!Ref SetName, ""]
  HasAlarmEmail: !Not [!Equals [!Ref AlarmEmail, ""]]
  Both: !And [!Condition CreateSet, !Condition HasAlarmEmail]
Resources:
  Set: {Type: AWS::SES::ConfigurationSet, Condition: CreateSet}
  Subscription: {Type: AWS::SNS::Subscription, Condition: HasAlarmEmail}
"#;

    /// Conditions follow the parameters' defaults: a resource whose condition is false is not
    /// created, and `!If` picks the branch its condition names.
    #[test]
    fn conditions_decide_which_resources_exist_and_which_branch_if_takes() {
        let t = template(MAIL);
        let conditions = t.conditions.clone();
        assert!(conditions["CreateSet"]);
        assert!(!conditions["HasAlarmEmail"]);
        assert!(!conditions["Both"]);
        assert_eq!(t.resources_of("AWS::SES::ConfigurationSet").len(), 1);
        assert!(t.resources_of("AWS::SNS::Subscription").is_empty());
        let mut names = Names {
            conditions,
            ..Names::default()
        };
        names.refs.insert("Set".into(), "created-set".into());
        names.refs.insert("SetName".into(), "".into());
        let choice: Yaml = serde_yaml::from_str("!If [CreateSet, !Ref Set, !Ref SetName]").unwrap();
        assert_eq!(names.resolve(&choice).unwrap(), "created-set");
        names.conditions.insert("CreateSet".into(), false);
        assert_eq!(names.resolve(&choice).unwrap(), "");
    }

    #[test]
    fn rates_are_read_as_eventbridge_writes_them() {
        assert_eq!(
            rate("rate(5 minutes)"),
            Ok(std::time::Duration::from_secs(300))
        );
        assert_eq!(
            rate("rate(1 hour)"),
            Ok(std::time::Duration::from_secs(3600))
        );
        assert!(rate("cron(0 12 * * ? *)").is_err());
        assert!(rate("rate(five minutes)").is_err());
    }
}
