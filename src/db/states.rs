//! The states, classes and kinds stored as text: each is an enum here, read and written as
//! `sqlx::Type` on both backends, so that a misspelt state is a compile error and an unknown
//! one read from the database a decoding error, never a silent mismatch.

/// An enum stored as one of a fixed set of strings.
macro_rules! text_enum {
    (
        $(#[$m:meta])*
        pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<$name, sqlx::error::BoxDynError> {
                let s = <&str as sqlx::Decode<'r, DB>>::decode(value)?;
                $name::parse(s)
                    .ok_or_else(|| format!("unknown {} {s:?}", stringify!($name)).into())
            }
        }
    };
}

text_enum! {
    /// A follower's state.
    pub enum FollowState {
        Accepted = "accepted",
        /// Waiting for an admin (`coalition.manually_approves_followers`).
        Pending = "pending",
    }
}

text_enum! {
    /// The state of a Follow the coalition sent.
    pub enum FollowingState {
        /// Sent, not answered yet.
        Pending = "pending",
        Accepted = "accepted",
    }
}

text_enum! {
    /// A delivery's state.
    pub enum DeliveryState {
        Pending = "pending",
        Delivered = "delivered",
        /// Refused for good (a 4xx other than 401, 408 and 429).
        Failed = "failed",
        /// Still failing after `delivery.max_attempts` attempts.
        GivenUp = "given_up",
    }
}

text_enum! {
    /// Who signed, as the roster and the actor's type said when it signed.
    pub enum SignerClass {
        Member = "member",
        Organisation = "organisation",
        Person = "person",
    }
}

text_enum! {
    /// How a boost was addressed.
    pub enum Visibility {
        /// Public or unlisted: as:Public in `to` or `cc`.
        Public = "public",
        Followers = "followers",
    }
}

text_enum! {
    /// What a ledger entry records.
    pub enum LedgerEvent {
        Sign = "sign",
        Withdraw = "withdraw",
        Hide = "hide",
        Unhide = "unhide",
    }
}

text_enum! {
    /// An admin's decision on a held post.
    pub enum RelayDecision {
        Approved = "approved",
        Rejected = "rejected",
    }
}

text_enum! {
    /// What a block names.
    pub enum BlockKind {
        Domain = "domain",
        Actor = "actor",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_as_written() {
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(DeliveryState::parse("gave up"), None);
        assert_eq!(
            serde_json::to_value(SignerClass::Organisation).unwrap(),
            "organisation"
        );
    }
}
