export { generateDemo } from './generate'
