import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsString, IsUUID } from 'class-validator';
import { Role } from '../shared/auth/role';
import { OptionalField, TextLength } from '../shared/http/validators';
import { API_KEY_ROLES } from './api-key-rules';

export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Scheduling integration' })
  @IsString()
  @TextLength(1, 100)
  name!: string;

  @ApiProperty({ enum: API_KEY_ROLES, description: "The key's role in its organization; never above the creator's" })
  @IsEnum(Role)
  role!: Role;

  @ApiPropertyOptional({ description: 'Required for SUPER_ADMIN callers; an ADMIN may only give their own' })
  @OptionalField()
  @IsUUID()
  organizationId?: string;
}

export class ListApiKeysQuery {
  @ApiPropertyOptional({ description: 'SUPER_ADMIN only: the organization to list' })
  @OptionalField()
  @IsUUID()
  organizationId?: string;
}

export class ApiKeyResponse {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: API_KEY_ROLES }) role!: string;
  @ApiProperty() organizationId!: string;
  @ApiProperty({ description: 'The user who created it; the key stops working once they are deactivated or their role changes' }) createdBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Last request made with the key, to within a minute' })
  lastUsedAt!: string | null;
}

export class CreatedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ description: 'Send as `Authorization: Bearer <key>`. Shown this once: only its SHA-256 is stored.', example: 'ul_Vq2mS8b1c0T6r9yXk3pZ5wA7nL4eH2dJ0fG8hK1sM6q' })
  key!: string;
}

export class ApiKeyList {
  @ApiProperty({ type: [ApiKeyResponse] }) items!: ApiKeyResponse[];
}
