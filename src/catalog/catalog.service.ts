export class CatalogService {}
