/** Migrations in order. Listed here (not globbed) so that compiled and test runs see the same set. */
import { Initial1764000000000 } from "./1764000000000-initial";
import { PriceManagement1764100000000 } from "./1764100000000-price-management";
import { Orders1764200000000 } from "./1764200000000-orders";
import { LabReports1764300000000 } from "./1764300000000-lab-reports";
import { DesignTemplates1764400000000 } from "./1764400000000-design-templates";
import { ClaimKeys1764500000000 } from "./1764500000000-claim-keys";
import { WriteLocksAndCacheVersions1764610000000 } from "./1764610000000-write-locks-and-cache-versions";
import { SessionVersions1764620000000 } from "./1764620000000-session-versions";
import { NotificationLinks1764700000000 } from "./1764700000000-notification-links";
import { Shoots1764800000000 } from "./1764800000000-shoots";
import { Payments1764840000000 } from "./1764840000000-payments";
import { Shipments1764900000000 } from "./1764900000000-shipments";
import { PrintSizes1764920000000 } from "./1764920000000-print-sizes";
import { PriceDepth1764940000000 } from "./1764940000000-price-depth";
import { LabContentAndHomeLab1764930000000 } from "./1764930000000-lab-content-and-home-lab";

export const migrations = [
  Initial1764000000000,
  PriceManagement1764100000000,
  Orders1764200000000,
  LabReports1764300000000,
  DesignTemplates1764400000000,
  ClaimKeys1764500000000,
  WriteLocksAndCacheVersions1764610000000,
  SessionVersions1764620000000,
  NotificationLinks1764700000000,
  Shoots1764800000000,
  Payments1764840000000,
  Shipments1764900000000,
  PrintSizes1764920000000,
  PriceDepth1764940000000,
  LabContentAndHomeLab1764930000000,
];
