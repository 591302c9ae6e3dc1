//! The coalition's avatar and header images: read once at start-up, checked, served from
//! memory under a name that changes with their content, so that Mastodon, which only
//! downloads an avatar again when its URL changes, sees every new image.

use std::path::Path;

use crate::config::ConfigError;

const BUILTIN_AVATAR: &[u8] = include_bytes!("../assets/avatar.png");
const BUILTIN_HEADER: &[u8] = include_bytes!("../assets/header.png");

/// Mastodon refuses avatars and headers over 8 MB (docs/interop.md §1).
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Image {
    pub bytes: axum::body::Bytes,
    pub media_type: &'static str,
    /// `avatar-<hash>.png`: the path under `/media/`.
    pub file_name: String,
    pub alt: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRole {
    Avatar,
    Header,
}

impl ImageRole {
    fn stem(self) -> &'static str {
        match self {
            ImageRole::Avatar => "avatar",
            ImageRole::Header => "header",
        }
    }

    fn setting(self) -> &'static str {
        match self {
            ImageRole::Avatar => "coalition.avatar",
            ImageRole::Header => "coalition.header",
        }
    }

    fn builtin(self) -> &'static [u8] {
        match self {
            ImageRole::Avatar => BUILTIN_AVATAR,
            ImageRole::Header => BUILTIN_HEADER,
        }
    }
}

/// The formats Mastodon accepts for avatars and headers, recognised by their first bytes
/// rather than by the file name.
pub fn sniff_media_type(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    match bytes {
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Some(("image/png", "png")),
        [0xff, 0xd8, 0xff, ..] => Some(("image/jpeg", "jpg")),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(("image/gif", "gif")),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some(("image/webp", "webp")),
        _ => None,
    }
}

/// Load the configured image, or the built-in one when no path is set.
pub fn load(role: ImageRole, path: Option<&Path>, alt: &str) -> Result<Image, ConfigError> {
    let setting = role.setting();
    let invalid = |problem: String| ConfigError::Invalid {
        setting: setting.to_owned(),
        problem,
    };
    let bytes: Vec<u8> = match path {
        None => role.builtin().to_vec(),
        Some(p) => {
            let meta = std::fs::metadata(p)
                .map_err(|e| invalid(format!("cannot read {}: {e}", p.display())))?;
            if meta.len() > MAX_IMAGE_BYTES as u64 {
                return Err(invalid(format!(
                    "{} is {} bytes; Mastodon accepts at most {MAX_IMAGE_BYTES}",
                    p.display(),
                    meta.len()
                )));
            }
            std::fs::read(p).map_err(|e| invalid(format!("cannot read {}: {e}", p.display())))?
        }
    };
    let (media_type, extension) = sniff_media_type(&bytes).ok_or_else(|| {
        invalid(format!(
            "{} is not a JPEG, PNG, GIF or WebP image",
            path.map(|p| p.display().to_string()).unwrap_or_default()
        ))
    })?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    let short: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Image {
        file_name: format!("{}-{short}.{extension}", role.stem()),
        bytes: bytes.into(),
        media_type,
        alt: alt.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_images_load_as_png() {
        let a = load(ImageRole::Avatar, None, "Logo").unwrap();
        assert_eq!(a.media_type, "image/png");
        assert!(a.file_name.starts_with("avatar-") && a.file_name.ends_with(".png"));
        let h = load(ImageRole::Header, None, "").unwrap();
        assert_ne!(a.file_name, h.file_name);
    }

    #[test]
    fn sniffs_formats_and_refuses_others() {
        assert_eq!(
            sniff_media_type(b"\xff\xd8\xff\xe0rest").unwrap().0,
            "image/jpeg"
        );
        assert_eq!(sniff_media_type(b"GIF89a...").unwrap().0, "image/gif");
        assert_eq!(
            sniff_media_type(b"RIFF\0\0\0\0WEBPVP8 ").unwrap().0,
            "image/webp"
        );
        assert!(sniff_media_type(b"<svg xmlns=").is_none());
    }

    #[test]
    fn a_bad_file_names_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("logo.svg");
        std::fs::write(&svg, "<svg/>").unwrap();
        let err = load(ImageRole::Avatar, Some(&svg), "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("coalition.avatar"), "{err}");
        let err = load(ImageRole::Header, Some(&dir.path().join("none.png")), "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("coalition.header"), "{err}");
    }
}
