use restrait::multipart::Part;
use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
trait Uploads {
    #[post("/uploads")]
    async fn upload(&self, #[part(stream)] file: Part) -> Result<()>;
}

fn main() {}
