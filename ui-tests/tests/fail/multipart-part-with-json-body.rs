use restrait::multipart::Part;
use restrait::{api, post, Result};

#[derive(serde::Serialize)]
struct Meta {
    title: String,
}

#[api(base = "https://api.example.com")]
trait Uploads {
    #[post("/uploads")]
    async fn upload(&self, #[body] meta: &Meta, #[part(file)] file: Part) -> Result<()>;
}

fn main() {}
