//! Multipart bodies: a whole form, or `#[part]` arguments of every accepted type.
use restrait::multipart::{Form, Part};
use restrait::{api, post, put, Result};

#[api(base = "https://api.example.com")]
trait Uploads {
    #[post("/uploads")]
    async fn upload(&self, #[body(multipart)] form: Form) -> Result<()>;

    #[put("/books/<id>/cover")]
    async fn cover(
        &self,
        id: u64,
        #[part] caption: &str,
        #[part("alt")] alt_text: String,
        #[part] note: Option<&str>,
        #[part] raw: Vec<u8>,
        #[part] data: restrait::bytes::Bytes,
        #[part(file)] image: Part,
        #[part("thumb", file)] thumbnail: Option<Part>,
    ) -> Result<()>;
}

fn main() {}
