/**
 * The data source for the TypeORM CLI (`npm run typeorm -- migration:show`), configured from the
 * same environment as the center.
 */
import "reflect-metadata";
import { DataSource } from "typeorm";
import { loadConfig } from "./src/config";
import { dataSourceOptions } from "./src/entities";

export default new DataSource(dataSourceOptions(loadConfig().database));
