// The settings table: names and aliases, the text form of values, and defaults that the parser
// itself accepts (a default the parser would refuse could never be written back by a user).
import t from 'tap'
import { parseSetting } from '../../src/settings/parse-setting.js'
import { SETTING_NAMES, SETTING_SCHEMAS, aliasesOf, settingFor, settingText } from '../../src/settings/schema.js'

t.test('names and aliases', async (t) => {
  t.equal(settingFor('PORT'), 'PORT')
  t.equal(settingFor('CORS_ENABLE'), 'HTTP_CORS_ENABLE')
  t.equal(settingFor('DUCKDB_PATH'), 'DUCKDB')
  t.equal(settingFor('TOSTRING'), undefined)
  t.equal(settingFor('constructor'), undefined, 'nothing inherited from Object')
  t.same(aliasesOf('HTTP_CORS_ORIGIN'), ['CORS_ORIGIN'])
  t.same(aliasesOf('PORT'), [])
})

t.test('text form of values', async (t) => {
  t.equal(settingText(['BTCUSDT', 'ETHUSDT']), 'BTCUSDT,ETHUSDT')
  t.equal(settingText([]), '')
  t.equal(settingText(true), '1')
  t.equal(settingText(false), '0')
  t.equal(settingText(600), '600')
  t.equal(settingText('1d'), '1d')
})

t.test('every setting has a meaning, and a default the parser accepts as written', async (t) => {
  for (const name of SETTING_NAMES) {
    const s = SETTING_SCHEMAS[name]
    t.not(s.description.trim(), '', `${name} is described`)
    t.doesNotThrow(() => parseSetting(name, settingText(s.default)), `${name}: default ${settingText(s.default)}`)
  }
})
