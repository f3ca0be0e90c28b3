import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CRYPTO_DEFAULT_STEP, defaultLotStep } from '../../src/broker/instrument.ts';
import { parseRunOptions, type RunOptions } from '../../src/cli/run-options.ts';

// Crypto pairs as exchanges and data vendors spell them: Binance, Coinbase (BTC-USD), Kraken (XBT/USD, XBTUSD), Gate (BTC_USDT)...
const PAIRS = [
  'BTCUSDT',
  'ETHUSDT',
  'BTC-USD',
  'BTCUSD',
  'BTC/USD',
  'ETH-EUR',
  'XBTUSD',
  'XBT/USD',
  'ETHBTC',
  'ETH/BTC',
  'SOL-USDC',
  'BTC_USDT',
  'DOGEUSD',
  'BTCEUR',
  'ETHUSD',
  'LTC-BTC',
  'BTC-USDT',
  'ADAUSDC',
  'BTC-GBP',
  'BTCJPY',
  'BNBFDUSD',
  'OPUSD',
  'EUR/USD',
  'ETH-DAI',
  'XRP/ETH',
];
// Equity and ETF tickers, some of which end in a currency or a coin's name.
const SHARES = [
  'SPY',
  'QQQ',
  'BRK.B',
  'BRK-B',
  'BF-B',
  'RDS-A',
  'EURN',
  'AAPL',
  'MSFT',
  'GBTC',
  'FBTC',
  'SETH',
  'ETHE',
  'USD',
  'EUR',
  'BTC',
  'ETH',
  'TSLA',
  'IBIT',
  'BITO',
  'VOD.L',
  'SAP.DE',
  'X',
  'DAI',
  'USDT',
  '7203.T',
];

test('crypto pairs get a fractional lot step in every common spelling; share tickers stay whole', () => {
  for (const s of PAIRS) assert.equal(defaultLotStep(s), CRYPTO_DEFAULT_STEP, s);
  for (const s of SHARES) assert.equal(defaultLotStep(s), '1', s);
});

test('--symbols takes the slash spelling of a pair, and its default lot is fractional', () => {
  const opts = parseRunOptions(['--symbols', 'BTC/USD,SPY', '--file', 'BTC/USD=btc.csv']) as RunOptions;
  assert.deepEqual(opts.symbols, ['BTC/USD', 'SPY']);
  assert.equal(opts.instruments.get('BTC/USD')?.lotStep, CRYPTO_DEFAULT_STEP);
  assert.equal(opts.instruments.get('SPY')?.lotStep, '1');
});
