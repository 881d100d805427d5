// The settings table (src/core/settings.ts) as the front ends reach it.
export { checkNumberSetting, SETTINGS, type SettingName } from '../settings';
