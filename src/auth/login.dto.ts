import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'admin@localhost' })
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'correct horse battery staple' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password!: string;
}

export class TokenResponse {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires', example: 900 }) expiresIn!: number;
  @ApiProperty({
    description: 'Exchanged at POST /auth/refresh for a new pair, once (a second use revokes every token of this login); revoked by POST /auth/logout',
    example: 'ulr_9bq3M0m2Xo4c0X1oQy5kq3E1pWg2u8yVvJ4kR6tLq0A',
  })
  refreshToken!: string;
  @ApiProperty({ description: 'Seconds until the refresh token expires (REFRESH_TOKEN_TTL)', example: 2_592_000 }) refreshExpiresIn!: number;
}

export class RefreshTokenDto {
  @ApiProperty({ example: 'ulr_9bq3M0m2Xo4c0X1oQy5kq3E1pWg2u8yVvJ4kR6tLq0A' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  refreshToken!: string;
}

export class MeResponse {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ['SUPER_ADMIN', 'ADMIN', 'PRACTITIONER', 'VIEWER'] }) role!: string;
  @ApiProperty({ nullable: true, type: String }) organizationId!: string | null;
  @ApiPropertyOptional({ description: 'Present when the request came with an API key: its id (id and email are then its creator\'s)' })
  apiKeyId?: string;
}
