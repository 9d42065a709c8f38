use restrait::{api, head, ByteStream, Result};

#[api(base = "https://api.example.com")]
pub trait Files {
    #[head("/files/<name>")]
    async fn exists(&self, name: &str) -> Result<ByteStream>;
}

fn main() {}
