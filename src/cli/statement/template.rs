//! `tribune statement new`: a statement file to fill in, in the format of README.md
//! ("Statements"), with a title and a section per coalition language.

use std::{io::Write, path::Path};

use crate::{
    cli::Failure,
    domain::{LanguageTag, statement::Slug},
};

/// The template for `slug`, in `languages` (primary first). Kept as it is, it publishes: every
/// placeholder is a valid value.
pub fn template(slug: &Slug, languages: &[LanguageTag]) -> String {
    let primary = &languages[0];
    let mut t = format!(
        "+++\n\
         # A statement: this front matter (TOML) between the +++ lines, then its text, one\n\
         # section per language, each opened by a \"::: LANG\" line. Lines starting with # are\n\
         # comments. Publish it with: tribune statement publish FILE\n\
         \n\
         # Its URL: /statements/{slug}; never reused, even after a deletion.\n\
         slug = \"{slug}\"\n\
         # Hashtags, without their #: for instance [\"climate\", \"justice\"].\n\
         tags = []\n\
         # true: shown first on the coalition's profile. On an edit, leaving this line out keeps\n\
         # the pin as it is.\n\
         pinned = false\n\
         # \"excerpt\": the opening of each language and a link to the statement's page, on the\n\
         # fediverse; \"full\": the whole text (see README.md, \"Long statements\").\n\
         federate = \"excerpt\"\n\
         # An image (JPEG, PNG, GIF or WebP), relative to this file, and what it shows:\n\
         # image = \"poster.jpg\"\n\
         # image_alt = \"What the image shows, for those who cannot see it\"\n\
         # Actors to mention, as @user@host or actor URLs:\n\
         # mentions = [\"@someone@example.org\"]\n\
         \n\
         # A title per language. {primary}, the primary language, is required; for another\n\
         # language, remove both its title and its section to leave it out.\n\
         [title]\n"
    );
    for lang in languages {
        t.push_str(&format!("{lang} = \"Title ({lang})\"\n"));
    }
    t.push_str("+++\n");
    for lang in languages {
        t.push_str(&format!(
            "\n::: {lang}\n\
             The text in {lang}, in Markdown: paragraphs, *emphasis*, [links](https://example.org),\n\
             lists and quotes.\n"
        ));
    }
    t
}

/// Write the template to standard output, or to `output`, which must not exist yet.
pub fn write(slug: &Slug, languages: &[LanguageTag], output: Option<&Path>) -> Result<(), Failure> {
    let text = template(slug, languages);
    let Some(path) = output else {
        out!("{}", text.trim_end());
        return Ok(());
    };
    let fail = |e: std::io::Error| {
        Failure::Other(anyhow::anyhow!(match e.kind() {
            std::io::ErrorKind::AlreadyExists => format!(
                "{} exists already: tribune statement new never overwrites a file; choose \
                 another --output",
                path.display()
            ),
            _ => format!("cannot write {}: {e}", path.display()),
        }))
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    out!(
        "wrote {0}: fill it in, then tribune statement publish {0}",
        path.display()
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses_as_it_is() {
        let languages: Vec<LanguageTag> = ["fr", "en", "pt-BR"]
            .iter()
            .map(|l| LanguageTag::parse(l).unwrap())
            .collect();
        let slug = Slug::parse("appel-2026").unwrap();
        let draft =
            crate::domain::statement::parse(&template(&slug, &languages), &languages).unwrap();
        assert_eq!(draft.slug, Some(slug));
        assert_eq!(draft.texts.len(), 3);
        assert_eq!(draft.pinned, Some(false));
        assert!(draft.image.is_none());
    }
}
