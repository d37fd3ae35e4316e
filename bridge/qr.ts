// QR codes as PNG, made with the qrcode library.
import QRCode from 'qrcode';

export async function qrPng(text: string): Promise<string> {
  const buf = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 320 });
  return buf.toString('base64');
}
