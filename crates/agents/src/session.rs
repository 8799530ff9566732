//! Calls to the provider: HTTP with timeouts, retries with backoff (honouring `Retry-After`), a
//! concurrency limit, the disk cache, the budget, token usage and cost, the transcript, and the
//! progress bar. Everything a call did is recorded, in call order, so the report can show it.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;
use sha2::{Digest, Sha256};
use threatscribe_model::{AgentRole, CallRecord, Message};

use crate::prices::Prices;
use crate::provider::{Prompt, Reply, Turn, Wire, json_in};
use crate::redact::redact;

/// How to reach the provider and how hard to try.
#[derive(Clone)]
pub struct Settings {
    /// As given to `--llm`: `openai:gpt-4o-mini`.
    pub spec: String,
    pub wire: Wire,
    pub model: String,
    pub base_url: String,
    /// From the environment only; never printed (the `Debug` of `Settings` hides it).
    pub api_key: Option<String>,
    pub timeout: Duration,
    /// Further attempts after the first, for 429, 5xx, timeouts and unreachable servers.
    pub retries: u32,
    pub concurrency: usize,
    /// `None` turns the cache off.
    pub cache_dir: Option<PathBuf>,
    pub budget_usd: Option<f64>,
    pub prices: Prices,
    /// Draw a progress bar on stderr (only where stderr is a terminal).
    pub progress: bool,
    /// Told after each call: calls done, calls known so far, what the last one was about (the
    /// web app shows it).
    pub observer: Option<Observer>,
    /// The first wait before a retry; doubled on each further attempt.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured; a provider asking for more counts as failing.
    pub max_wait: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("spec", &self.spec)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

/// Receives (calls done, calls known so far, the last call's role and subject).
pub type Observer = std::sync::Arc<dyn Fn(u64, u64, &str) + Send + Sync>;

/// One call to make.
pub struct CallSpec {
    pub role: AgentRole,
    /// What it is about: `architecture`, an element id, `review`, `summary`.
    pub subject: String,
    pub prompt: Prompt,
}

/// What a validator made of an answer: the usable part, and what was wrong with the rest.
pub struct Checked<T> {
    pub value: T,
    pub problems: Vec<String>,
}

/// Why calling stopped.
enum Failure {
    /// The server will not take structured output; retry with the schema in the prompt only.
    SchemaRefused,
    /// Every attempt failed, or the provider refused the request: stop calling it.
    Fatal(String),
}

#[derive(Default)]
struct State {
    calls: Vec<CallRecord>,
    messages: Vec<(u32, usize, Message)>,
    problems: Vec<String>,
    rejected: Vec<String>,
    /// Set once the provider failed for good: later calls are not attempted.
    dead: Option<String>,
    /// Set once a call was skipped for the budget.
    budget_stopped: bool,
    /// The server refused `response_format` / tools once: send the schema in the prompt only.
    unstructured: bool,
    /// Dollars spent by calls made this run (cache hits cost nothing).
    spent: f64,
    /// Dollars set aside for calls admitted but not finished.
    reserved: f64,
    next_call: u32,
}

/// A run's connection to one provider.
pub struct Session<'s> {
    settings: &'s Settings,
    agent: ureq::Agent,
    state: Mutex<State>,
    progress: ProgressBar,
}

/// What a finished session hands to the report.
pub struct Record {
    pub calls: Vec<CallRecord>,
    pub messages: Vec<Message>,
    pub problems: Vec<String>,
    pub rejected: Vec<String>,
}

impl<'s> Session<'s> {
    pub fn new(settings: &'s Settings) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("threatscribe/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let progress = if settings.progress {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        progress.set_style(
            ProgressStyle::with_template("{spinner} LLM calls {pos}/{len} {wide_msg}")
                .expect("the progress template is valid"),
        );
        Session {
            settings,
            agent,
            state: Mutex::new(State::default()),
            progress,
        }
    }

    fn observe(&self, last: &str) {
        if let Some(observer) = &self.settings.observer {
            observer(
                self.progress.position(),
                self.progress.length().unwrap_or(0),
                last,
            );
        }
    }

    pub fn settings(&self) -> &Settings {
        self.settings
    }

    /// The reason calling stopped for good, if it did.
    pub fn failure(&self) -> Option<String> {
        self.lock().dead.clone()
    }

    pub fn note_problem(&self, problem: String) {
        self.lock().problems.push(problem);
    }

    pub fn note_rejected(&self, rejected: String) {
        self.lock().rejected.push(rejected);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes the calls, at most `concurrency` at a time, and validates each answer (with one
    /// repair turn when it is invalid). Calls are numbered and admitted against the budget in
    /// the order given, so the outcome does not depend on which answer arrives first. `None`
    /// for a call that was skipped, failed, or gave nothing usable.
    pub fn run<T: Send>(
        &self,
        specs: &[CallSpec],
        validate: &(dyn Fn(&CallSpec, &Value) -> Checked<T> + Sync),
    ) -> Vec<Option<T>> {
        if specs.is_empty() {
            return Vec::new();
        }
        self.progress.inc_length(specs.len() as u64);
        self.observe("");
        let admitted: Vec<(u32, Admission)> = {
            let mut state = self.lock();
            specs
                .iter()
                .map(|spec| {
                    state.next_call += 1;
                    (state.next_call, self.admit(&mut state, spec))
                })
                .collect()
        };
        let results: Vec<Mutex<Option<T>>> = specs.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let workers = self.settings.concurrency.clamp(1, specs.len());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(spec) = specs.get(i) else { break };
                        let (n, admission) = &admitted[i];
                        let value = self.call(*n, spec, admission, validate);
                        *results[i]
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = value;
                        self.progress.inc(1);
                        self.observe(&format!("{} {}", spec.role.as_str(), spec.subject));
                    }
                });
            }
        });
        let mut state = self.lock();
        state.reserved = 0.0;
        state.calls.sort_by_key(|c| c.n);
        drop(state);
        results
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            })
            .collect()
    }

    /// Decides, in call order, whether a call may go out: cached answers always may; others
    /// only while the budget holds the estimate (the prompt's tokens and the most output the
    /// call allows).
    fn admit(&self, state: &mut State, spec: &CallSpec) -> Admission {
        if let Some(reason) = &state.dead {
            return Admission::Dead(reason.clone());
        }
        let structured = !state.unstructured;
        let body = self.body(&spec.prompt, structured);
        if let Some(reply) = self.cached(&body) {
            return Admission::Cached(reply);
        }
        if let Some(budget) = self.settings.budget_usd {
            let estimate = self.estimate(&spec.prompt);
            if state.budget_stopped || state.spent + state.reserved + estimate > budget {
                if !state.budget_stopped {
                    state.problems.push(format!(
                        "Budget of ${budget:.2} reached: stopped before the {} call on `{}` (estimated ${estimate:.4}, ${:.4} already spent or committed); the report has what the earlier calls found.",
                        spec.role.as_str(),
                        spec.subject,
                        state.spent + state.reserved
                    ));
                }
                state.budget_stopped = true;
                return Admission::OverBudget;
            }
            state.reserved += estimate;
        }
        Admission::Go
    }

    /// Most a prompt can cost: its tokens (estimated) and the output limit, at the model's price.
    pub fn estimate(&self, prompt: &Prompt) -> f64 {
        self.settings
            .prices
            .get(&self.settings.model)
            .map_or(0.0, |p| {
                p.cost(estimate_tokens(prompt), u64::from(prompt.max_tokens))
            })
    }

    fn call<T>(
        &self,
        n: u32,
        spec: &CallSpec,
        admission: &Admission,
        validate: &(dyn Fn(&CallSpec, &Value) -> Checked<T> + Sync),
    ) -> Option<T> {
        self.progress
            .set_message(format!("{} {}", spec.role.as_str(), spec.subject));
        let mut call = Call {
            n,
            spec,
            record: CallRecord {
                n,
                role: spec.role,
                subject: spec.subject.clone(),
                model: self.settings.model.clone(),
                input_tokens: 0,
                output_tokens: 0,
                cost_usd: 0.0,
                cached: false,
                attempts: 0,
                outcome: String::new(),
            },
            spent: 0.0,
            order: 0,
        };
        let first = match admission {
            Admission::Dead(reason) => {
                call.record.outcome = format!("not attempted: {reason}");
                return self.close(call, None, Vec::new());
            }
            Admission::OverBudget => {
                call.record.outcome = "skipped (budget)".into();
                return self.close(call, None, Vec::new());
            }
            Admission::Cached(reply) => {
                call.record.cached = true;
                let _ = self.account(&mut call.record, reply);
                Ok(reply.clone())
            }
            Admission::Go => self.send(&spec.prompt, &mut call),
        };
        self.transcript(&mut call, "system", &spec.prompt.system);
        for turn in &spec.prompt.turns {
            self.transcript(&mut call, turn.speaker, &turn.content);
        }
        let reply = match first {
            Ok(reply) => reply,
            Err(reason) => {
                call.record.outcome = format!("failed: {reason}");
                return self.close(call, None, Vec::new());
            }
        };
        self.transcript(&mut call, "assistant", &reply.text);
        match check(&reply, spec, validate) {
            Ok(checked) if checked.problems.is_empty() => {
                call.record.outcome = "ok".into();
                self.close(call, Some(checked.value), Vec::new())
            }
            first => self.repair(call, &reply, first, validate),
        }
    }

    /// One more turn for an answer that failed validation: the problems go back to the model,
    /// and the better of the two answers is kept.
    fn repair<T>(
        &self,
        mut call: Call<'_>,
        reply: &Reply,
        first: Result<Checked<T>, String>,
        validate: &(dyn Fn(&CallSpec, &Value) -> Checked<T> + Sync),
    ) -> Option<T> {
        let problems = match &first {
            Ok(checked) => checked.problems.clone(),
            Err(problem) => vec![problem.clone()],
        };
        let repair_text = format!(
            "Your answer cannot be used as it is:\n- {}\nAnswer again with the whole corrected JSON object, matching the schema, and nothing else.",
            problems.join("\n- ")
        );
        let mut prompt = call.spec.prompt.clone();
        prompt.turns.push(Turn {
            speaker: "assistant",
            content: reply.text.clone(),
        });
        prompt.turns.push(Turn {
            speaker: "user",
            content: repair_text.clone(),
        });
        self.transcript(&mut call, "user", &repair_text);
        let repaired = self.send_within_budget(&prompt, &mut call);
        let second = repaired.map(|r| {
            self.transcript(&mut call, "assistant", &r.text);
            check(&r, call.spec, validate)
        });
        let keep_first = |first: Result<Checked<T>, String>| match first {
            Ok(checked) => (Some(checked.value), checked.problems),
            Err(problem) => (None, vec![problem]),
        };
        let (value, problems) = match second {
            Ok(Ok(checked)) if checked.problems.is_empty() => {
                call.record.outcome = "repaired".into();
                (Some(checked.value), Vec::new())
            }
            Ok(Ok(checked)) => {
                call.record.outcome = "partly invalid after a repair".into();
                (Some(checked.value), checked.problems)
            }
            Ok(Err(problem)) => {
                call.record.outcome = "invalid after a repair".into();
                match first {
                    Ok(checked) => (Some(checked.value), checked.problems),
                    Err(_) => (None, vec![problem]),
                }
            }
            Err(reason) => {
                call.record.outcome = format!("invalid; repair not made: {reason}");
                keep_first(first)
            }
        };
        self.close(call, value, problems)
    }

    /// Records a message of the call, redacted.
    fn transcript(&self, call: &mut Call<'_>, speaker: &str, content: &str) {
        call.order += 1;
        let message = Message {
            call: call.n,
            role: call.spec.role,
            speaker: speaker.to_owned(),
            content: self.redact(content),
        };
        self.lock().messages.push((call.n, call.order, message));
    }

    /// Files the call's record and what was dropped from its answer.
    fn close<T>(&self, call: Call<'_>, value: Option<T>, problems: Vec<String>) -> Option<T> {
        let mut state = self.lock();
        for problem in problems {
            state.rejected.push(format!(
                "{} ({}, call {}): {}",
                call.spec.role.as_str(),
                call.spec.subject,
                call.n,
                self.redact(&problem)
            ));
        }
        state.spent += call.spent;
        state.calls.push(call.record);
        value
    }

    /// A repair turn, when the budget still allows it.
    fn send_within_budget(&self, prompt: &Prompt, call: &mut Call<'_>) -> Result<Reply, String> {
        let body = self.body(prompt, !self.lock().unstructured);
        if let Some(reply) = self.cached(&body) {
            let _ = self.account(&mut call.record, &reply);
            return Ok(reply);
        }
        if let Some(budget) = self.settings.budget_usd {
            let state = self.lock();
            if state.spent + state.reserved + call.spent + self.estimate(prompt) > budget {
                return Err("the budget does not allow it".into());
            }
        }
        if let Some(reason) = self.failure() {
            return Err(reason);
        }
        self.send(prompt, call)
    }

    /// Sends one prompt, adding the tokens and cost to the call.
    fn send(&self, prompt: &Prompt, call: &mut Call<'_>) -> Result<Reply, String> {
        let mut structured = !self.lock().unstructured;
        loop {
            let body = self.body(prompt, structured);
            match self.post(&body, &mut call.record) {
                Ok(text) => {
                    let reply = self.settings.wire.reply(&text).map_err(|problem| {
                        self.give_up(&format!("the provider's response is unusable: {problem}"))
                    })?;
                    self.store(&body, &text);
                    call.spent += self.account(&mut call.record, &reply);
                    return Ok(reply);
                }
                Err(Failure::SchemaRefused) if structured => {
                    let mut state = self.lock();
                    if !state.unstructured {
                        state.unstructured = true;
                        state.problems.push("The server refused structured output (a JSON schema in the request): the schema is sent in the prompt instead.".into());
                    }
                    structured = false;
                }
                Err(Failure::SchemaRefused) => {
                    return Err(self.give_up("the server refused the request (HTTP 400)"));
                }
                Err(Failure::Fatal(reason)) => return Err(self.give_up(&reason)),
            }
        }
    }

    /// Adds a reply's tokens and cost to the record; returns the cost.
    fn account(&self, record: &mut CallRecord, reply: &Reply) -> f64 {
        record.input_tokens += reply.input_tokens;
        record.output_tokens += reply.output_tokens;
        let cost = self
            .settings
            .prices
            .get(&self.settings.model)
            .map_or(0.0, |price| {
                price.cost(reply.input_tokens, reply.output_tokens)
            });
        record.cost_usd += cost;
        cost
    }

    /// Marks the provider as failed: no further call is attempted.
    fn give_up(&self, reason: &str) -> String {
        let reason = self.redact(reason);
        let mut state = self.lock();
        if state.dead.is_none() {
            state.dead = Some(reason.clone());
            state.problems.push(format!(
                "The LLM provider failed ({reason}); later calls were not made. The built-in analysis is complete without it."
            ));
        }
        reason
    }

    /// The request body, with the system prompt carrying the schema when the server takes no
    /// structured output.
    fn body(&self, prompt: &Prompt, structured: bool) -> Value {
        if structured {
            return self.settings.wire.body(&self.settings.model, prompt, true);
        }
        let mut prompt = prompt.clone();
        prompt.system = format!(
            "{}\n\nAnswer with one JSON object that matches this JSON schema, and nothing else:\n{}",
            prompt.system, prompt.schema
        );
        self.settings
            .wire
            .body(&self.settings.model, &prompt, false)
    }

    /// POSTs a body, retrying 429, 5xx, timeouts and connection failures with backoff.
    fn post(&self, body: &Value, record: &mut CallRecord) -> Result<String, Failure> {
        let url = self.settings.wire.endpoint(&self.settings.base_url);
        let mut last = String::new();
        for attempt in 0..=self.settings.retries {
            record.attempts += 1;
            let mut request = self
                .agent
                .post(&url)
                .header("content-type", "application/json");
            match (self.settings.wire, &self.settings.api_key) {
                (Wire::OpenAi, Some(key)) => {
                    request = request.header("authorization", &format!("Bearer {key}"));
                }
                (Wire::Anthropic, key) => {
                    request = request.header("anthropic-version", "2023-06-01");
                    if let Some(key) = key {
                        request = request.header("x-api-key", key);
                    }
                }
                (Wire::OpenAi, None) => {}
            }
            let backoff = self.settings.backoff * 2u32.saturating_pow(attempt);
            let wait = match request.send(&body.to_string()) {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let text = response
                        .body_mut()
                        .with_config()
                        .limit(16 * 1024 * 1024)
                        .read_to_string()
                        .unwrap_or_default();
                    if (200..300).contains(&status) {
                        return Ok(text);
                    }
                    let detail = error_detail(&text);
                    if status == 429 || status >= 500 {
                        last = format!("HTTP {status}{detail}");
                        match retry_after(response.headers()) {
                            Some(asked) if asked > self.settings.max_wait => {
                                return Err(Failure::Fatal(format!(
                                    "HTTP {status}: the provider asked to wait {} s, more than the {} s allowed",
                                    asked.as_secs(),
                                    self.settings.max_wait.as_secs()
                                )));
                            }
                            Some(asked) => asked,
                            None => backoff,
                        }
                    } else if status == 400
                        && ["response_format", "json_schema", "tool"]
                            .iter()
                            .any(|w| text.contains(w))
                    {
                        return Err(Failure::SchemaRefused);
                    } else if status == 401 || status == 403 {
                        let variable = match self.settings.wire {
                            Wire::OpenAi => "OPENAI_API_KEY",
                            Wire::Anthropic => "ANTHROPIC_API_KEY",
                        };
                        return Err(Failure::Fatal(format!(
                            "HTTP {status}: the provider refused the credentials (check {variable}){detail}"
                        )));
                    } else {
                        return Err(Failure::Fatal(format!("HTTP {status}{detail}")));
                    }
                }
                Err(ureq::Error::Timeout(_)) => {
                    last = format!("no answer within {} s", self.settings.timeout.as_secs_f32());
                    backoff
                }
                Err(error) => {
                    last = format!("cannot reach {url}: {error}");
                    backoff
                }
            };
            if attempt < self.settings.retries {
                std::thread::sleep(wait);
            }
        }
        Err(Failure::Fatal(format!(
            "{last} (after {} attempts)",
            self.settings.retries + 1
        )))
    }

    fn redact(&self, text: &str) -> String {
        let secrets: Vec<&str> = self.settings.api_key.iter().map(String::as_str).collect();
        redact(text, &secrets)
    }

    fn cache_path(&self, body: &Value) -> Option<PathBuf> {
        let dir = self.settings.cache_dir.as_ref()?;
        let mut hasher = Sha256::new();
        hasher.update(
            self.settings
                .wire
                .endpoint(&self.settings.base_url)
                .as_bytes(),
        );
        hasher.update([0]);
        hasher.update(body.to_string().as_bytes());
        let digest = hasher.finalize();
        let name = crate::text::hex(&digest);
        Some(dir.join(format!("{name}.json")))
    }

    fn cached(&self, body: &Value) -> Option<Reply> {
        let text = std::fs::read_to_string(self.cache_path(body)?).ok()?;
        self.settings.wire.reply(&text).ok()
    }

    /// Keeps a response for reruns. A cache that cannot be written only costs money later.
    fn store(&self, body: &Value, response: &str) {
        let Some(path) = self.cache_path(body) else {
            return;
        };
        let Some(dir) = path.parent() else { return };
        let written = std::fs::create_dir_all(dir).and_then(|()| {
            let mut file = tempfile::NamedTempFile::new_in(dir)?;
            std::io::Write::write_all(&mut file, response.as_bytes())?;
            file.persist(&path).map(|_| ()).map_err(|e| e.error)
        });
        if let Err(error) = written {
            self.note_problem(format!(
                "The response cache at {} could not be written ({error}); reruns will call the provider again.",
                dir.display()
            ));
        }
    }

    /// Everything recorded, in call order.
    pub fn finish(self) -> Record {
        self.progress.finish_and_clear();
        let mut state = self
            .state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.calls.sort_by_key(|c| c.n);
        state.messages.sort_by_key(|(n, order, _)| (*n, *order));
        Record {
            calls: state.calls,
            messages: state.messages.into_iter().map(|(_, _, m)| m).collect(),
            problems: state.problems,
            rejected: state.rejected,
        }
    }
}

/// A call in progress.
struct Call<'c> {
    n: u32,
    spec: &'c CallSpec,
    record: CallRecord,
    /// Dollars spent on requests actually sent (not cache hits).
    spent: f64,
    /// Messages recorded so far.
    order: usize,
}

impl Record {
    /// The run as the report shows it.
    pub fn into_run(
        self,
        settings: &Settings,
        narrative: Option<threatscribe_model::Narrative>,
    ) -> threatscribe_model::LlmRun {
        threatscribe_model::LlmRun {
            provider: settings.spec.clone(),
            calls: self.calls,
            messages: self.messages,
            narrative,
            problems: self.problems,
            rejected: self.rejected,
            price_source: settings.prices.source.clone(),
        }
    }
}

enum Admission {
    Go,
    Cached(Reply),
    OverBudget,
    Dead(String),
}

fn check<T>(
    reply: &Reply,
    spec: &CallSpec,
    validate: &(dyn Fn(&CallSpec, &Value) -> Checked<T> + Sync),
) -> Result<Checked<T>, String> {
    let value = json_in(&reply.text).map_err(|problem| {
        if reply.truncated {
            format!("{problem} (the answer was cut off at the token limit: be shorter)")
        } else {
            problem
        }
    })?;
    Ok(validate(spec, &value))
}

/// About four characters per token for English and JSON: good enough to estimate a cost bound.
pub fn estimate_tokens(prompt: &Prompt) -> u64 {
    let chars = prompt.system.len()
        + prompt.schema.to_string().len()
        + prompt.turns.iter().map(|t| t.content.len()).sum::<usize>();
    (chars as u64).div_ceil(4) + 8 * (prompt.turns.len() as u64 + 1)
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &ureq::http::HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// The provider's own error message, short, for the report.
fn error_detail(body: &str) -> String {
    let message = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    match message {
        Some(m) => format!(": {}", m.chars().take(200).collect::<String>()),
        None => String::new(),
    }
}
