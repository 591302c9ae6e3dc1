//! The statement form: its fields, turned into the statement file text that `tribune
//! statement publish` reads, so that the file format's parser checks it and its messages are
//! the ones volunteers see next to the field they concern (docs/admin.md).

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};

use super::{super::Submitted, Pairs};
use crate::{
    app::statements::MAX_STATEMENT_IMAGE,
    domain::statement::{InputError, StatementDraft, parse},
    http::i18n::Ui,
    media::sniff_media_type,
    state::AppState,
};

/// One language's column of the form.
pub struct LangFields {
    pub lang: String,
    pub name: &'static str,
    pub title: String,
    pub text: String,
}

/// The form as sent (or as filled for an edit).
#[derive(Default)]
pub struct StatementForm {
    pub slug: String,
    pub langs: Vec<LangFields>,
    pub tags: String,
    pub mentions: String,
    pub pinned: bool,
    /// `full` or `excerpt` (docs/interop.md §10).
    pub federate: String,
    /// Set when editing: the statement's slug, which the form cannot change.
    pub editing: Option<String>,
    /// Editing a statement with an image: keep it (with this description).
    pub has_image: bool,
    pub keep_image: bool,
    pub image_alt: String,
    /// A new image chosen in the form (or carried from the preview), replacing any other.
    pub upload: Option<Vec<u8>>,
    /// Problems, by form field id (`slug`, `title-fr`, `text-en`, `tags`, …; `form` for the
    /// rest), in the interface language.
    pub errors: Vec<(String, String)>,
}

impl StatementForm {
    /// An empty form with a column per coalition language.
    pub fn empty(state: &AppState) -> StatementForm {
        StatementForm {
            langs: state
                .coalition
                .languages
                .iter()
                .map(|l| LangFields {
                    lang: l.as_str().to_owned(),
                    name: language_name(l.as_str()),
                    title: String::new(),
                    text: String::new(),
                })
                .collect(),
            federate: "full".into(),
            ..StatementForm::default()
        }
    }

    /// The fields as the browser sent them (`title-LANG`, `text-LANG` per language).
    pub fn from_pairs(state: &AppState, pairs: &[(String, String)]) -> StatementForm {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.replace("\r\n", "\n"))
                .unwrap_or_default()
        };
        let mut form = StatementForm::empty(state);
        for l in &mut form.langs {
            l.title = get(&format!("title-{}", l.lang));
            l.text = get(&format!("text-{}", l.lang));
        }
        form.slug = get("slug").trim().to_owned();
        form.tags = get("tags");
        form.mentions = get("mentions");
        form.pinned = !get("pinned").is_empty();
        form.federate = match get("federate").as_str() {
            "excerpt" => "excerpt".into(),
            _ => "full".into(),
        };
        form.editing = Some(get("editing")).filter(|s| !s.is_empty());
        form.has_image = !get("has_image").is_empty();
        form.keep_image = !get("keep_image").is_empty();
        form.image_alt = get("image_alt");
        form
    }

    /// The fields and the image chosen in the file field `image`, or carried from the
    /// preview in the hidden field `image_data` (base64: a file field cannot be filled
    /// again by the server).
    pub fn from_submitted(state: &AppState, s: &Submitted<Pairs>) -> StatementForm {
        let mut form = StatementForm::from_pairs(state, &s.form);
        form.upload = match s.file("image") {
            Some(file) => Some(file.bytes.clone()),
            None => s
                .form
                .iter()
                .find(|(k, _)| k == "image_data")
                .and_then(|(_, v)| BASE64.decode(v.trim()).ok())
                .filter(|b| !b.is_empty()),
        };
        form
    }

    /// The chosen image, for the preview's hidden field.
    pub fn upload_base64(&self) -> Option<String> {
        self.upload.as_ref().map(|b| BASE64.encode(b))
    }

    /// The chosen image as a `data:` URL, for the preview (the admin's CSP allows them).
    pub fn upload_data_url(&self) -> Option<String> {
        let bytes = self.upload.as_ref()?;
        let (media_type, _) = sniff_media_type(bytes)?;
        Some(format!("data:{media_type};base64,{}", BASE64.encode(bytes)))
    }

    /// A new image must be one servers take, and be described for people who cannot see it.
    fn check_upload(&self) -> Result<(), InputError> {
        let Some(bytes) = &self.upload else {
            return Ok(());
        };
        let problem = |field: &str, problem: &str| InputError {
            field: field.into(),
            problem: problem.into(),
        };
        if bytes.len() > MAX_STATEMENT_IMAGE {
            return Err(problem(
                "image",
                &format!("the image is larger than {MAX_STATEMENT_IMAGE} bytes"),
            ));
        }
        if sniff_media_type(bytes).is_none() {
            return Err(problem("image", "not a JPEG, PNG, GIF or WebP image"));
        }
        if self.image_alt.trim().is_empty() {
            return Err(problem(
                "image_alt",
                "describe the image for people who cannot see it",
            ));
        }
        Ok(())
    }

    /// The statement file these fields make.
    pub fn source(&self) -> Result<String, toml::ser::Error> {
        let list = |s: &str| -> toml::Value {
            toml::Value::Array(
                s.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| toml::Value::String(t.to_owned()))
                    .collect(),
            )
        };
        let mut front = toml::Table::new();
        if self.editing.is_none() && !self.slug.is_empty() {
            front.insert("slug".into(), self.slug.clone().into());
        }
        front.insert("tags".into(), list(&self.tags));
        front.insert("pinned".into(), self.pinned.into());
        front.insert("mentions".into(), list(&self.mentions));
        front.insert("federate".into(), self.federate.clone().into());
        if self.upload.is_some() {
            front.insert("image".into(), "upload".into());
            front.insert("image_alt".into(), self.image_alt.clone().into());
        } else if self.has_image && self.keep_image {
            front.insert("image".into(), "current".into());
            front.insert("image_alt".into(), self.image_alt.clone().into());
        }
        let mut titles = toml::Table::new();
        for l in &self.langs {
            if !l.title.trim().is_empty() {
                titles.insert(l.lang.clone(), l.title.trim().into());
            }
        }
        front.insert("title".into(), toml::Value::Table(titles));
        let mut source = format!("+++\n{}+++\n", toml::to_string(&front)?);
        for l in &self.langs {
            if !l.text.trim().is_empty() {
                source.push_str(&format!("\n::: {}\n{}\n", l.lang, l.text.trim_end()));
            }
        }
        Ok(source)
    }

    /// The draft the statement file would give, or the problem with it, noted in `errors`.
    pub fn draft(&mut self, state: &AppState, ui: Ui) -> Option<StatementDraft> {
        let parsed = self
            .check_upload()
            .and_then(|()| {
                self.source().map_err(|e| InputError {
                    field: "form".into(),
                    problem: e.to_string(),
                })
            })
            .and_then(|source| parse(&source, &state.coalition.languages))
            .and_then(|draft| {
                crate::app::statements::check_size(state, &draft)
                    .map(|()| draft)
                    .map_err(|e| match e {
                        crate::app::statements::StatementError::Input(e)
                        | crate::app::statements::StatementError::TooLong(e) => e,
                        e => InputError {
                            field: "form".into(),
                            problem: e.to_string(),
                        },
                    })
            });
        match parsed {
            Ok(draft) => Some(draft),
            Err(e) => {
                self.refuse(ui, &e);
                None
            }
        }
    }

    /// Note a problem next to the field it concerns.
    pub fn refuse(&mut self, ui: Ui, e: &InputError) {
        let id = field_id(&e.field);
        let text = match ui {
            Ui::En => format!("Please correct this: {}", e.problem),
            Ui::Fr => format!("Veuillez corriger ceci : {}", e.problem),
        };
        self.errors.push((id, text));
    }

    /// The problem with a field, for the template.
    pub fn error(&self, id: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == id)
            .map(|(_, t)| t.as_str())
    }

    /// Problems not tied to one field.
    pub fn general(&self) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| f == "form")
            .map(|(_, t)| t.as_str())
            .collect()
    }
}

/// The form field an `InputError` concerns.
fn field_id(field: &str) -> String {
    if let Some(lang) = field.strip_prefix("title.") {
        return format!("title-{lang}");
    }
    if let Some(lang) = field.strip_prefix("::: ") {
        return format!("text-{lang}");
    }
    match field.split('[').next().unwrap_or_default() {
        "slug" => "slug",
        "tags" => "tags",
        "mentions" => "mentions",
        "image" => "image",
        "image_alt" => "image_alt",
        "federate" => "federate",
        _ => "form",
    }
    .into()
}

fn language_name(code: &str) -> &'static str {
    match code.split('-').next().unwrap_or_default() {
        "fr" => "Français",
        "en" => "English",
        "de" => "Deutsch",
        "es" => "Español",
        "it" => "Italiano",
        "br" => "Brezhoneg",
        "eu" => "Euskara",
        "ca" => "Català",
        "oc" => "Occitan",
        _ => "",
    }
}

impl StatementForm {
    pub fn title_error(&self, lang: &str) -> Option<&str> {
        self.error(&format!("title-{lang}"))
    }

    pub fn text_error(&self, lang: &str) -> Option<&str> {
        self.error(&format!("text-{lang}"))
    }
}
