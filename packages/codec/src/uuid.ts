/** Kafka's zero Uuid (all 16 bytes 0) in its base64url string form: "no topic id" on the wire. */
export const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";
