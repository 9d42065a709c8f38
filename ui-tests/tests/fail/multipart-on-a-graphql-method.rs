use restrait::multipart::Part;
use restrait::{api, Result};

#[derive(serde::Deserialize)]
struct Uploaded {
    id: u64,
}

#[api(base = "https://api.example.com")]
trait Shop {
    #[graphql("mutation Upload($title: String!) { upload(title: $title) { id } }")]
    async fn upload(&self, title: &str, #[part(file)] cover: Part) -> Result<Uploaded>;
}

fn main() {}
