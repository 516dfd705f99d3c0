// The part of qrcode-terminal (no types of its own) the CLI uses.
declare module "qrcode-terminal" {
  export function generate(text: string, options: { small?: boolean }, callback: (qr: string) => void): void;
}
