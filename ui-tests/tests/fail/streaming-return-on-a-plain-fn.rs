use restrait::{api, get, ByteStream, Result};

#[api(base = "https://api.example.com")]
pub trait Files {
    #[get("/files/<name>")]
    fn download(&self, name: &str) -> Result<ByteStream>;
}

fn main() {}
