use restrait::{api, get, ByteStream, Result};

#[api(base = "https://api.example.com")]
pub trait Files {
    #[get("/files/<name>")]
    #[timeout(idle = "0s")]
    async fn download(&self, name: &str) -> Result<ByteStream>;
}

fn main() {}
