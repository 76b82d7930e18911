//! Closed lists stored as text codes (an indicator's kind, a risk's level, a RACI letter…).
//!
//! [`vocabulary!`](crate::vocabulary) declares one: the enum, its codes and French labels, and
//! its sqlx `Type`/`Decode`/`Encode` as text, so that checked queries read the column straight
//! into the enum (`kind as "kind: Kind"`). A stored code outside the list fails to decode —
//! an error, never a silent default.

/// A code that is not in the list.
#[derive(Debug)]
pub struct Unknown {
    pub list: &'static str,
    pub code: String,
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} code {:?}", self.list, self.code)
    }
}

impl std::error::Error for Unknown {}

#[macro_export]
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal;)+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The code stored in the database and sent by forms.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            /// The French name shown in the interface.
            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),+ }
            }

            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }

            /// (code, label) pairs, in order, for a `<select>` or radio group.
            pub fn options() -> impl Iterator<Item = (&'static str, &'static str)> {
                Self::ALL.iter().map(|v| (v.code(), v.label()))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::vocabulary::Unknown;

            fn try_from(code: &str) -> Result<Self, Self::Error> {
                Self::parse(code).ok_or_else(|| $crate::vocabulary::Unknown {
                    list: stringify!($name),
                    code: code.to_owned(),
                })
            }
        }

        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <String as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let code = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                Ok(Self::try_from(code)?)
            }
        }

        /// Read from its code, as JSON aggregates hold it.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::try_from(code.as_ref()).map_err(serde::de::Error::custom)
            }
        }

        /// In the API's OpenAPI document: a string, one of the codes.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($code),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl sqlx::Encode<'_, sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.code(), buf)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::vocabulary!(
        /// For the test.
        Colour {
            Red => "rouge", "Rouge";
            Blue => "bleu", "Bleu";
        }
    );

    #[test]
    fn a_code_outside_the_list_is_an_error_naming_it() {
        assert_eq!(Colour::try_from("bleu").unwrap(), Colour::Blue);
        assert_eq!(
            Colour::options().collect::<Vec<_>>(),
            [("rouge", "Rouge"), ("bleu", "Bleu")]
        );
        let unknown = Colour::try_from("vert").unwrap_err();
        assert_eq!(unknown.to_string(), "unknown Colour code \"vert\"");
        let read: Vec<Colour> = serde_json::from_str(r#"["bleu", "rouge"]"#).unwrap();
        assert_eq!(read, [Colour::Blue, Colour::Red]);
        assert_eq!(serde_json::to_string(&Colour::Red).unwrap(), r#""rouge""#);
        assert!(serde_json::from_str::<Colour>(r#""vert""#).is_err());
    }
}
