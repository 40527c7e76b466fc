export { generateDemo } from './generate'
export type { DemoDataset, DemoProject, DemoTruth, DemoUpload } from './generate'
